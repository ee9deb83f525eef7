"""Callbacks: EarlyStopping, ModelCheckpoint, TerminateOnNaN, LRSchedulerCallback."""

import math

import numpy as np
import pytest
from standins import TinyLinear, TinyLoader, TinyMLP, TinySGD, blobs, cross_entropy, mse

import nerve
from nerve.train import (
    CallbackList,
    EarlyStopping,
    LRSchedulerCallback,
    ModelCheckpoint,
    TerminateOnNaN,
    TrainState,
    fit,
)


def _drive(cb, values, key="val_loss", model=None):
    """Run a callback over scripted epoch logs, as fit would; returns the epochs run.

    Before each epoch's end the model's weights are set to the epoch number, so the
    weights that EarlyStopping keeps tell which epoch they came from."""
    state = TrainState(model=model or TinyLinear(2, 1), epochs=len(values))
    hooks = CallbackList([cb], state)
    hooks.on_train_begin({})
    ran = []
    for epoch, v in enumerate(values):
        state.model.weight._data[...] = epoch
        hooks.on_epoch_end(epoch, {key: v})
        ran.append(epoch)
        if state.stop_training:
            break
    hooks.on_train_end({})
    return ran, state.model


def test_early_stopping_patience():
    ran, _ = _drive(EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.92, 0.8])
    assert ran == [0, 1, 2, 3]  # two epochs without improvement after epoch 1
    es = EarlyStopping(patience=0)
    ran, _ = _drive(es, [1.0, 0.9, 0.95, 0.8])
    assert ran == [0, 1, 2] and es.stopped_epoch == 2 and es.best == 0.9
    ran, _ = _drive(EarlyStopping(patience=3), [1.0, 0.9, 0.95, 0.92, 0.8, 0.85])
    assert ran == [0, 1, 2, 3, 4, 5]  # the wait resets at epoch 4


def test_early_stopping_min_delta():
    values = [1.0, 0.97, 0.95, 0.9]
    assert _drive(EarlyStopping(patience=1), values)[0] == [0, 1, 2, 3]
    es = EarlyStopping(patience=1, min_delta=0.05)
    assert _drive(es, values)[0] == [0, 1]  # 0.97 is not better than 1.0 by 0.05
    es = EarlyStopping(patience=2, min_delta=-0.05)  # the sign of min_delta is ignored
    assert _drive(es, values)[0] == [0, 1, 2]


def test_early_stopping_mode_max_auto_for_accuracy():
    es = EarlyStopping(monitor="val_accuracy", patience=1)
    ran, _ = _drive(es, [0.5, 0.7, 0.6, 0.9], key="val_accuracy")
    assert ran == [0, 1, 2] and es.best == 0.7 and es.tracker.mode == "max"
    es = EarlyStopping(monitor="score", mode="max", patience=1)
    assert _drive(es, [1.0, 2.0, 3.0], key="score")[0] == [0, 1, 2]


def test_early_stopping_baseline():
    es = EarlyStopping(patience=2, baseline=0.5)
    ran, _ = _drive(es, [0.9, 0.8, 0.7, 0.6])
    assert ran == [0, 1] and es.best_epoch is None


def test_restore_best_weights_when_stopped_early():
    ran, model = _drive(EarlyStopping(patience=1, restore_best_weights=True), [1.0, 0.5, 0.7, 0.2])
    assert ran == [0, 1, 2]
    np.testing.assert_array_equal(model.weight.detach().numpy(), 1.0)


def test_restore_best_weights_also_when_training_runs_to_the_end():
    es = EarlyStopping(patience=5, restore_best_weights=True)
    ran, model = _drive(es, [1.0, 0.5, 0.7, 0.6])
    assert ran == [0, 1, 2, 3] and es.stopped_epoch is None
    np.testing.assert_array_equal(model.weight.detach().numpy(), 1.0)
    _, model = _drive(EarlyStopping(patience=5), [1.0, 0.5, 0.7, 0.6])
    # not asked to restore: the last weights are kept
    np.testing.assert_array_equal(model.weight.detach().numpy(), 3.0)


def test_restore_best_weights_in_fit_gives_the_best_val_loss():
    x, y = blobs()
    model = TinyMLP(4, 16, 3)
    val = TinyLoader(x[:40], y[:40], 40)
    es = EarlyStopping(patience=10, restore_best_weights=True)
    hist = fit(
        model,
        cross_entropy,
        TinySGD(model.parameters(), lr=0.5),
        TinyLoader(x, y, 8),
        val,
        epochs=6,
        callbacks=[es],
        verbose=False,
    )
    best = min(hist.history["val_loss"])
    assert es.best == best
    assert cross_entropy(model(nerve.tensor(x[:40])), nerve.tensor(y[:40])).item() == pytest.approx(
        best, rel=1e-5
    )


def test_monitoring_a_missing_key_is_a_clear_error():
    x, y = blobs()
    model = TinyMLP(4, 8, 3)
    with pytest.raises(KeyError, match="monitors 'val_loss'.*needs a val_loader"):
        fit(
            model,
            cross_entropy,
            TinySGD(model.parameters()),
            TinyLoader(x, y, 40),
            epochs=2,
            callbacks=[EarlyStopping()],
            verbose=False,
        )
    with pytest.raises(ValueError, match="mode must be"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)


def test_model_checkpoint_contents(tmp_path):
    x, y = blobs()
    model = TinyMLP(4, 8, 3)
    opt = TinySGD(model.parameters(), lr=0.1)
    ck = ModelCheckpoint(tmp_path / "run" / "ck-{epoch:02d}-{val_loss:.3f}.nrv")
    hist = fit(
        model,
        cross_entropy,
        opt,
        TinyLoader(x, y, 40),
        TinyLoader(x, y, 60),
        epochs=2,
        callbacks=[ck],
        verbose=False,
    )
    files = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert files == [
        f"ck-{e:02d}-{v:.3f}.nrv" for e, v in zip([1, 2], hist.history["val_loss"])
    ]  # and no temporary file left
    saved = nerve.load(ck.last_path)
    assert saved["epoch"] == 2
    assert set(saved) >= {"model", "optimizer", "epoch", "rng_state"}
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(saved["model"][k].numpy(), v.numpy())
    for b, sb in zip(opt.buf, saved["optimizer"]["buf"]):
        np.testing.assert_array_equal(np.asarray(sb), b)


def test_model_checkpoint_save_best_only_and_weights_only(tmp_path):
    ck = ModelCheckpoint(tmp_path / "best-{epoch}.nrv", save_best_only=True, save_weights_only=True)
    _drive(ck, [1.0, 0.5, 0.7, 0.4])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best-1.nrv", "best-2.nrv", "best-4.nrv"]
    weights = nerve.load(tmp_path / "best-4.nrv")
    assert set(weights) == {"weight", "bias"}
    np.testing.assert_array_equal(weights["weight"].numpy(), 3.0)
    ck = ModelCheckpoint(tmp_path / "acc.nrv", monitor="val_accuracy", save_best_only=True)
    _drive(ck, [0.5, 0.4], key="val_accuracy")
    assert nerve.load(tmp_path / "acc.nrv")["epoch"] == 1  # the worse epoch 2 not saved


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_terminate_on_nan_stops_at_the_bad_batch(capsys):
    x, _ = blobs()
    y = (x.sum(1, keepdims=True) * 100).astype(np.float32)
    model = TinyMLP(4, 16, 1)
    cb = TerminateOnNaN()
    hist = fit(
        model,
        mse,
        TinySGD(model.parameters(), lr=0.01, momentum=0.0),
        TinyLoader(x, y, 10),
        epochs=5,
        callbacks=[cb],
        verbose=False,
    )
    assert hist.epoch == [0]
    epoch, batch = cb.stopped
    assert epoch == 0 and 0 < batch < 11
    assert not math.isfinite(hist.history["loss"][0])
    out = capsys.readouterr().out
    assert "TerminateOnNaN" in out and "lower learning rate" in out and "clip" in out


def test_terminate_on_nan_leaves_finite_runs_alone():
    state = TrainState()
    cb = TerminateOnNaN()
    CallbackList([cb], state).on_batch_end(0, {"loss": 1.0})
    assert not state.stop_training and cb.stopped is None
    CallbackList([cb], state).on_batch_end(1, {"loss": float("inf")})
    assert state.stop_training and cb.stopped == (0, 1)


class _Plateau:
    def __init__(self):
        self.seen = []

    def step(self, metrics, epoch=None):
        self.seen.append(metrics)


class _Step:
    def __init__(self, opt):
        self.opt, self.calls = opt, 0

    def step(self):
        self.calls += 1
        self.opt.param_groups[0]["lr"] *= 0.5


def test_lr_scheduler_steps_per_epoch_and_passes_the_metric():
    x, y = blobs()
    model = TinyMLP(4, 8, 3)
    opt = TinySGD(model.parameters(), lr=0.4)
    step = _Step(opt)
    hist = fit(
        model, cross_entropy, opt, TinyLoader(x, y, 40), epochs=3, scheduler=step, verbose=False
    )
    assert step.calls == 3 and hist.history["lr"] == [0.4, 0.2, 0.1]
    plateau = _Plateau()
    hist = fit(
        model,
        cross_entropy,
        opt,
        TinyLoader(x, y, 40),
        TinyLoader(x, y, 60),
        epochs=2,
        callbacks=[LRSchedulerCallback(plateau)],
        verbose=False,
    )
    assert plateau.seen == hist.history["val_loss"]
    plateau = _Plateau()
    hist = fit(
        model, cross_entropy, opt, TinyLoader(x, y, 40), epochs=2, scheduler=plateau, verbose=False
    )
    assert plateau.seen == hist.history["loss"]  # no validation: the training loss


def test_lr_scheduler_callback_errors():
    with pytest.raises(TypeError, match="step"):
        LRSchedulerCallback(object())
    cb = LRSchedulerCallback(_Plateau(), monitor="val_top")
    with pytest.raises(KeyError, match="val_top"):
        _drive(cb, [1.0])
