"""The 8x8 handwritten digits: an MLP and a CNN (the data ship inside nerve).

The last 200 training images are held out for validation; the test split is only
used by ``evaluate``. Inputs are standardised with the training split's statistics.
"""

from __future__ import annotations

import numpy as np

from nerve import nn
from nerve import random as nrandom
from nerve.data import DataLoader, TensorDataset
from nerve.optim.lr_scheduler import CosineAnnealingLR
from nerve.tasks.base import Task, register
from nerve.tensor import Tensor

N_VAL = 200


class ShiftedImages(TensorDataset):
    """Images (N, C, H, W) and labels, each batch moved by up to ``shift`` pixels in
    each direction (filled with the background value): translation augmentation."""

    def __init__(self, images: Tensor, labels: Tensor, shift: int = 1,
                 flatten: bool = False) -> None:
        super().__init__(images, labels)
        self.shift, self.flatten = shift, flatten
        self.fill = float(images.numpy().min())

    def _fetch_batch(self, indices) -> list:
        x = self.tensors[0].numpy()[indices]
        s, (n, _, h, w) = self.shift, x.shape
        padded = np.pad(x, ((0, 0), (0, 0), (s, s), (s, s)), constant_values=self.fill)
        dy, dx = nrandom.rng().integers(0, 2 * s + 1, (2, n))
        rows = dy[:, None] + np.arange(h)  # (N, H) source rows per image
        cols = dx[:, None] + np.arange(w)  # (N, W) source columns per image
        # (N, C, H+2s, W+2s) -> (N, H, W, C) gathered per image -> (N, C, H, W)
        out = padded[np.arange(n)[:, None, None], :, rows[:, :, None], cols[:, None, :]]
        out = np.ascontiguousarray(out.transpose(0, 3, 1, 2))
        return [Tensor._wrap(out.reshape(n, -1) if self.flatten else out),
                self.tensors[1][indices]]


def _standardised():
    """(train x, y, val x, y, test x, y) with the training part's statistics."""
    from nerve.data.datasets import load_digits

    x, y = load_digits("train", flatten=False)
    xt, yt = load_digits("test", flatten=False)
    fit_x = x.numpy()[:-N_VAL]
    # one mean and scale for all pixels: keeps the images' spatial structure
    mean, scale = fit_x.mean(), fit_x.std()

    def z(a):
        return Tensor._wrap(((a.numpy() - mean) / scale).astype(np.float32))

    return z(x[:-N_VAL]), y[:-N_VAL], z(x[-N_VAL:]), y[-N_VAL:], z(xt), yt


class _DigitsTask(Task):
    image = False

    def loaders(self):
        x, y, xv, yv, xt, yt = _standardised()
        if not self.image:  # (N, 1, 8, 8) -> (N, 64)
            xv, xt = xv.reshape(len(xv), -1), xt.reshape(len(xt), -1)
        bs = int(self.config["batch_size"])
        train = ShiftedImages(x, y, flatten=not self.image)
        return (DataLoader(train, batch_size=bs, shuffle=True),
                DataLoader(TensorDataset(xv, yv), batch_size=512),
                DataLoader(TensorDataset(xt, yt), batch_size=512))

    def make_scheduler(self, optimizer):
        return CosineAnnealingLR(optimizer, T_max=int(self.config["epochs"]))


@register
class DigitsMLP(_DigitsTask):
    name = "digits-mlp"
    description = "MLP 64-h-h-10 with ReLU and dropout on the 8x8 digits"
    defaults = {"epochs": 40, "batch_size": 64, "lr": 2e-3, "hidden": 512, "dropout": 0.2}

    def build_model(self) -> nn.Module:
        h, p = int(self.config["hidden"]), float(self.config["dropout"])
        return nn.Sequential(nn.Linear(64, h), nn.ReLU(), nn.Dropout(p),
                             nn.Linear(h, h), nn.ReLU(), nn.Dropout(p), nn.Linear(h, 10))


@register
class DigitsCNN(_DigitsTask):
    name = "digits-cnn"
    description = ("CNN on the 8x8 digits as 1x8x8 images: 3 conv-BN-ReLU stages, "
                   "2 max pools, shift augmentation")
    defaults = {"epochs": 15, "batch_size": 32, "lr": 3e-3, "hidden": 32, "dropout": 0.25}
    image = True

    def build_model(self) -> nn.Module:
        h, p = int(self.config["hidden"]), float(self.config["dropout"])
        return nn.Sequential(
            nn.Conv2d(1, h, 3, padding=1), nn.BatchNorm2d(h), nn.ReLU(),       # h x 8 x 8
            nn.Conv2d(h, h, 3, padding=1), nn.BatchNorm2d(h), nn.ReLU(),
            nn.MaxPool2d(2),                                                   # h x 4 x 4
            nn.Conv2d(h, 2 * h, 3, padding=1), nn.BatchNorm2d(2 * h), nn.ReLU(),
            nn.MaxPool2d(2),                                                   # 2h x 2 x 2
            nn.Flatten(), nn.Dropout(p), nn.Linear(8 * h, 10))
