"""The digits tasks: the input Normalization sits inside the model, fitted on the training
part, travels with the checkpoint, and checkpoints written before it still load."""

import os

import numpy as np
import pytest

import nerve
from nerve import nn
from nerve.cli import main
from nerve.tasks import get_task, open_run
from nerve.tasks.digits import N_VAL

OLD = os.path.join(os.path.dirname(__file__), "old_checkpoints")
# What `nerve eval` printed for these files with the code that wrote them (commit 7630624,
# inputs standardised outside the model): digits-mlp --epochs 3 --hidden 16 and
# digits-cnn --epochs 2 --hidden 4.
OLD_EVAL = {
    "digits-mlp": "test loss 2.1694, accuracy 0.2917",
    "digits-cnn": "test loss 1.7054, accuracy 0.6028",
}


def _raw_training_part():
    from nerve.data.datasets import load_digits

    return load_digits("train", flatten=False)[0].numpy()[:-N_VAL]


@pytest.mark.parametrize("name", ["digits-mlp", "digits-cnn"])
def test_normalization_is_the_first_layer_fitted_on_the_training_part(name):
    model = get_task(name, {"hidden": 4}).build_model()
    norm = model[0]
    assert isinstance(norm, nn.Normalization) and norm.axis is None
    fit = _raw_training_part().astype(np.float64)
    np.testing.assert_allclose(norm.mean.numpy(), [fit.mean()], rtol=1e-6)
    np.testing.assert_allclose(norm.variance.numpy(), [fit.var()], rtol=1e-6)
    assert {"0.mean", "0.variance"} <= set(model.state_dict())
    assert not any(p is norm.mean for p in model.parameters())  # buffers, never trained


@pytest.mark.parametrize("name,shape", [("digits-mlp", (5, 64)), ("digits-cnn", (5, 1, 8, 8))])
def test_model_on_raw_pixels_equals_the_layers_on_standardised_pixels(name, shape):
    nerve.manual_seed(0)
    model = get_task(name, {"hidden": 4}).build_model().eval()
    layers = nn.Sequential(*list(model)[1:]).eval()
    fit = _raw_training_part()
    x = np.random.default_rng(0).uniform(0, 1, shape).astype(np.float32)
    z = (x - fit.mean()) / fit.std()
    with nerve.no_grad():
        np.testing.assert_allclose(
            model(nerve.tensor(x)).numpy(), layers(nerve.tensor(z)).numpy(), rtol=1e-4, atol=1e-5
        )


def test_checkpoint_carries_the_statistics(tmp_path, capsys):
    run = tmp_path / "mlp"
    assert (
        main(
            ["train", "digits-mlp", "--epochs", "1", "--hidden", "8", "--out", str(run), "--quiet"]
        )
        == 0
    )
    saved = nerve.load(str(run / "last.nrv"))["model"]
    assert saved["0.mean"].numpy() == pytest.approx(_raw_training_part().mean(), rel=1e-6)
    state = dict(saved, **{"0.mean": nerve.tensor([0.25]), "0.variance": nerve.tensor([4.0])})
    nerve.save({**nerve.load(str(run / "last.nrv")), "model": state}, str(run / "odd.nrv"))
    _, model, _ = open_run(str(run / "odd.nrv"))  # the file's statistics, not a refit
    assert model[0].mean.item() == 0.25 and model[0].variance.item() == 4.0


@pytest.mark.parametrize("name", ["digits-mlp", "digits-cnn"])
def test_checkpoints_from_before_the_normalization_layer_evaluate_as_they_did(name, capsys):
    assert main(["eval", os.path.join(OLD, f"{name}.nrv")]) == 0
    assert f"{name}: {OLD_EVAL[name]}" in capsys.readouterr().out


def test_checkpoints_from_before_the_normalization_layer_resume(tmp_path, capsys):
    src = os.path.join(OLD, "digits-mlp.nrv")
    capsys.readouterr()
    assert main(["train", "--resume", src, "--epochs", "4", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    acc = float(out.split("accuracy")[1].split()[0])
    assert acc > 0.29  # one more epoch from 0.2917 keeps learning
    resumed = nerve.load(str(tmp_path / "last.nrv"))
    assert resumed["epoch"] == 4 and "0.mean" in resumed["model"]  # written in the new layout
    assert main(["generate", src]) == 1
    assert "does not generate" in capsys.readouterr().err
