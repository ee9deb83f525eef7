"""fit and evaluate on stand-in components: the loop's own logic."""

import numpy as np
import pytest
from standins import TinyLoader, TinyMLP, TinySGD, blobs, cross_entropy, mse

import nerve
from nerve.train import Callback, evaluate, fit


def _setup(p=0.0, shuffle=False, lr=0.1):
    x, y = blobs()
    model = TinyMLP(4, 16, 3, p)
    opt = TinySGD(model.parameters(), lr=lr)
    return model, opt, TinyLoader(x, y, 32, shuffle), TinyLoader(x[:60], y[:60], 25)


def test_fit_records_history_and_learns():
    model, opt, train, val = _setup()
    hist = fit(model, cross_entropy, opt, train, val, epochs=5, metrics=["accuracy"], verbose=False)
    assert list(hist.history) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    assert hist.epoch == [0, 1, 2, 3, 4]
    assert all(len(v) == 5 for v in hist.history.values())
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    assert hist.history["val_accuracy"][-1] > 0.9
    assert hist.history["lr"] == [0.1] * 5


def test_fit_step_is_the_plain_loop():
    model, opt, train, _ = _setup()
    twin, twin_opt = TinyMLP(4, 16, 3), None
    twin.load_state_dict(model.state_dict())
    twin_opt = TinySGD(twin.parameters(), lr=0.1)
    fit(model, cross_entropy, opt, train, epochs=2, verbose=False)
    for _ in range(2):
        for xb, yb in train:
            twin_opt.zero_grad()
            loss = cross_entropy(twin(xb), yb)
            loss.backward()
            twin_opt.step()
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), twin.state_dict()[k].numpy())


def test_epoch_loss_is_sample_weighted_mean_over_uneven_batches():
    model, opt, train, _ = _setup(lr=0.0)  # lr 0: weights fixed, so losses are comparable
    seen = []

    class Spy(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append((logs["loss"], logs["size"]))

    hist = fit(model, cross_entropy, opt, train, epochs=1, callbacks=[Spy()], verbose=False)
    assert [n for _, n in seen] == [32, 32, 32, 24]
    expected = sum(l * n for l, n in seen) / 120
    assert hist.history["loss"][0] == pytest.approx(expected, rel=1e-6)
    full = cross_entropy(model(nerve.Tensor._wrap(train.x)), nerve.Tensor._wrap(train.y))
    assert hist.history["loss"][0] == pytest.approx(full.item(), rel=1e-5)


def test_evaluate_uses_eval_mode_and_no_grad_then_restores_train():
    model, opt, train, val = _setup(p=0.5)
    fit(model, cross_entropy, opt, train, val, epochs=1, verbose=False)
    modes = model.seen_modes
    assert modes[:4] == [(True, True)] * 4  # 4 training batches
    assert modes[4:] == [(False, False)] * 3  # 3 validation batches
    assert model.training
    model.eval()
    res = evaluate(model, cross_entropy, val, metrics="accuracy")
    assert set(res) == {"loss", "accuracy"} and not model.training  # mode restored as found
    again = evaluate(model, cross_entropy, val, metrics="accuracy")
    assert again == res  # eval mode: dropout off, deterministic


def test_evaluate_metrics_only_and_empty_loader():
    model, _, _, val = _setup()
    assert set(evaluate(model, None, val, ["accuracy", "top2_accuracy"])) == {
        "accuracy",
        "top2_accuracy",
    }
    with pytest.raises(ValueError, match="no batches"):
        evaluate(model, cross_entropy, [], None)


def test_callback_hook_order_and_initial_epoch():
    model, opt, train, val = _setup()
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin{epoch}")

        def on_batch_end(self, batch, logs=None):
            calls.append(f"batch{batch}")

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end{epoch}:{'val_loss' in logs}")

        def on_train_end(self, logs=None):
            calls.append("train_end")

    hist = fit(
        model,
        cross_entropy,
        opt,
        train,
        val,
        epochs=3,
        initial_epoch=2,
        callbacks=[Recorder()],
        verbose=False,
    )
    assert calls == [
        "train_begin",
        "epoch_begin2",
        "batch0",
        "batch1",
        "batch2",
        "batch3",
        "epoch_end2:True",
        "train_end",
    ]
    assert hist.epoch == [2]


def test_stop_training_flag_ends_the_run_after_the_epoch():
    model, opt, train, _ = _setup()

    class StopAt1(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.state.stop_training = True

    hist = fit(model, cross_entropy, opt, train, epochs=10, callbacks=[StopAt1()], verbose=False)
    assert hist.epoch == [0, 1]

    class StopAtOnce(Callback):
        def on_train_begin(self, logs=None):
            self.state.stop_training = True

    assert (
        fit(
            model, cross_entropy, opt, train, epochs=3, callbacks=[StopAtOnce()], verbose=False
        ).epoch
        == []
    )


def test_progress_bar_shows_loss_metrics_and_throughput(capsys, monkeypatch):
    import sys

    model, opt, train, val = _setup()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # bars are drawn on terminals
    fit(model, cross_entropy, opt, train, val, epochs=1, metrics="accuracy", verbose=True)
    out = capsys.readouterr()
    assert "Epoch 1/1" in out.err and "samples/s" in out.err and "accuracy" in out.err
    assert "val_accuracy" in out.out
    fit(model, cross_entropy, opt, train, val, epochs=1, verbose=False)
    out = capsys.readouterr()
    assert out.err == "" and out.out == ""


def test_fit_bad_arguments():
    model, opt, train, _ = _setup()
    with pytest.raises(ValueError, match="initial_epoch"):
        fit(model, cross_entropy, opt, train, epochs=2, initial_epoch=3, verbose=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, cross_entropy, opt, train, epochs=-1, verbose=False)
    with pytest.raises(ValueError, match=r"\(input, target\) pairs, got a tuple of 3"):
        fit(model, cross_entropy, opt, [(1, 2, 3)], verbose=False)
    with pytest.raises(ValueError, match="no batches"):
        fit(model, cross_entropy, opt, [], verbose=False)
    with pytest.raises(TypeError, match="Callback"):
        fit(model, cross_entropy, opt, train, callbacks=[object()], verbose=False)
    with pytest.raises(ValueError, match="clip_grad_norm"):
        fit(model, cross_entropy, opt, train, clip_grad_norm=0, verbose=False)


class _NormSpy(TinySGD):
    def step(self):
        self.norms.append(np.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in self.params)))
        super().step()


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no overflow may happen
def test_fit_with_clipping_keeps_a_diverging_run_finite():
    x, _ = blobs()
    y = (x.sum(1, keepdims=True) * 100).astype(np.float32)
    model = TinyMLP(4, 16, 1)
    opt = _NormSpy(model.parameters(), lr=0.01, momentum=0.0)
    opt.norms = []
    hist = fit(model, mse, opt, TinyLoader(x, y, 30), epochs=3, clip_grad_norm=1.0, verbose=False)
    assert np.isfinite(hist.history["loss"]).all()
    assert len(opt.norms) == 12 and max(opt.norms) <= 1.0 + 1e-5
