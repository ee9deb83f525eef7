"""nerve.train with the real layers, loss, optimizers, schedulers and DataLoader: the
examples reach their accuracy, and a resumed run continues exactly."""

import importlib.util
import os
import time

import numpy as np
import pytest

import nerve
from nerve import nn
from nerve.data import DataLoader, TensorDataset
from nerve.optim import SGD, Adam
from nerve.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from nerve.train import EarlyStopping, ModelCheckpoint, evaluate, fit, load_checkpoint

_EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def _example(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(_EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mlp_digits_example_reaches_97_percent():
    start = time.perf_counter()
    model, history, test = _example("mlp_digits").train(epochs=15, verbose=False)
    seconds = time.perf_counter() - start
    assert test["accuracy"] >= 0.97, test
    assert history.history["val_accuracy"][-1] == pytest.approx(test["accuracy"])
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]
    assert len(history.epoch) == 15 and model.training  # evaluate put train mode back
    print(f"digits MLP: test accuracy {test['accuracy']:.4f} in {seconds:.1f} s")


def test_plain_loop_example_reaches_97_percent(capsys):
    accuracy = _example("plain_loop").main(epochs=10)
    assert accuracy >= 0.97
    assert "test accuracy" in capsys.readouterr().out


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 6)).astype(np.float32)
    y = (x[:, :3].sum(1) > 0).astype(np.int64) + (x[:, 3] > 1).astype(np.int64)
    return TensorDataset(nerve.tensor(x), nerve.tensor(y))


def _objects(lr=0.01):
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    opt = Adam(model.parameters(), lr=lr)
    return model, opt, StepLR(opt, step_size=1, gamma=0.7)


def _train(model, opt, sched, epochs, initial_epoch=0, callbacks=None):
    loader = DataLoader(_data(), batch_size=16, shuffle=True)
    return fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        loader,
        epochs=epochs,
        scheduler=sched,
        initial_epoch=initial_epoch,
        callbacks=callbacks,
        verbose=False,
    )


def test_resume_with_real_components_is_exact(tmp_path):
    nerve.manual_seed(5)
    model, opt, sched = _objects()
    straight = _train(model, opt, sched, 4)

    nerve.manual_seed(5)
    path = tmp_path / "ck.nrv"
    _train(*_objects(), 2, callbacks=[ModelCheckpoint(path, monitor="loss")])
    nerve.manual_seed(123)  # a fresh process: other weights, another generator state
    model2, opt2, sched2 = _objects(lr=0.5)
    start = load_checkpoint(path, model2, opt2, sched2)
    resumed = _train(model2, opt2, sched2, 4, initial_epoch=start)

    assert start == 2 and resumed.epoch == [2, 3]
    assert resumed.history["lr"] == pytest.approx(straight.history["lr"][2:])
    assert resumed.history["loss"] == straight.history["loss"][2:]
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(model2.state_dict()[k].numpy(), v.numpy())


def test_reduce_lr_on_plateau_gets_the_monitored_value():
    model = nn.Linear(6, 3)
    opt = SGD(model.parameters(), lr=0.1)
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=0)
    hist = fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        DataLoader(_data(), batch_size=32),
        epochs=3,
        metrics={"flat": lambda out, y: 1.0},
        scheduler=sched,
        monitor="flat",
        verbose=False,
    )
    assert hist.history["lr"] == pytest.approx([0.1, 0.1, 0.05])  # "flat" never improves
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025)
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=10)
    val = DataLoader(_data(), batch_size=96)
    hist = fit(
        model, nn.CrossEntropyLoss(), opt, val, val, epochs=3, scheduler=sched, verbose=False
    )
    assert sched.best == min(hist.history["val_loss"])  # it was given val_loss


def test_early_stopping_restores_a_real_models_best_weights():
    nerve.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    es = EarlyStopping(monitor="val_accuracy", patience=3, restore_best_weights=True)
    val = DataLoader(_data(), batch_size=96)
    hist = fit(
        model,
        nn.CrossEntropyLoss(),
        SGD(model.parameters(), lr=0.3),
        val,
        val,
        epochs=8,
        metrics=["accuracy"],
        callbacks=[es],
        verbose=False,
    )
    assert evaluate(model, None, val, ["accuracy"])["accuracy"] == max(hist.history["val_accuracy"])
