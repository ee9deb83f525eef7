"""The TensorBoard callback writes fit's logs where TensorBoard's reader finds them."""

import os

import numpy as np
import pytest

import nerve
from nerve.train import TensorBoard, fit
from nerve.utils.data import DataLoader, TensorDataset

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def _load(path):
    acc = event_accumulator.EventAccumulator(path, size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    return acc


def test_fit_logs_epochs_batches_and_histograms(tmp_path):
    nerve.manual_seed(0)
    x = nerve.randn(32, 3)
    y = x @ nerve.tensor([[1.0], [-2.0], [0.5]])
    loader = DataLoader(TensorDataset(x, y), batch_size=8)
    model = nerve.nn.Linear(3, 1)
    opt = nerve.optim.SGD(model.parameters(), lr=0.1)
    cb = TensorBoard(str(tmp_path), histogram_freq=1, update_freq=2)
    history = fit(
        model,
        nerve.nn.MSELoss(),
        opt,
        loader,
        val_loader=loader,
        epochs=3,
        callbacks=[cb],
        verbose=False,
    )
    train = _load(os.path.join(str(tmp_path), "train"))
    val = _load(os.path.join(str(tmp_path), "validation"))
    np.testing.assert_allclose(
        [e.value for e in train.Scalars("epoch_loss")], history.history["loss"], rtol=1e-6
    )
    np.testing.assert_allclose(
        [e.value for e in val.Scalars("epoch_loss")], history.history["val_loss"], rtol=1e-6
    )
    assert [e.step for e in train.Scalars("epoch_loss")] == [0, 1, 2]
    assert [e.step for e in train.Scalars("batch_loss")] == [2, 4, 6, 8, 10, 12]
    assert len(train.Histograms("weight")) == 3


def test_bad_update_freq():
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(update_freq=0)
