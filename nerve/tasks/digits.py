"""The 8x8 handwritten digits: an MLP and a CNN (the data ship inside nerve).

The last 200 training images are held out for validation; the test split is only
used by ``evaluate``. The loaders give the pixels as they are (in [0, 1]); the model's
first layer is an ``nn.Normalization`` fitted by ``adapt`` on the training part, so the
standardisation y = (x - μ) / σ sits inside the model and travels with its checkpoint
(``nerve eval``, ``nerve export`` and a Python user feed it raw images).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from nerve import nn
from nerve import random as nrandom
from nerve.data import DataLoader, TensorDataset
from nerve.optim.lr_scheduler import CosineAnnealingLR
from nerve.tasks.base import Task, register
from nerve.tasks.config import TaskConfig, option
from nerve.tensor import Tensor

N_VAL = 200


class ShiftedImages(TensorDataset):
    """Images (N, C, H, W) and labels, each batch moved by up to ``shift`` pixels in
    each direction (filled with the background value): translation augmentation."""

    def __init__(
        self, images: Tensor, labels: Tensor, shift: int = 1, flatten: bool = False
    ) -> None:
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
        return [Tensor._wrap(out.reshape(n, -1) if self.flatten else out), self.tensors[1][indices]]


def _splits():
    """(train x, y, val x, y, test x, y): images (N, 1, 8, 8) in [0, 1], not standardised."""
    from nerve.data.datasets import load_digits

    x, y = load_digits("train", flatten=False)
    xt, yt = load_digits("test", flatten=False)
    return x[:-N_VAL], y[:-N_VAL], x[-N_VAL:], y[-N_VAL:], xt, yt


class DigitsNet(nn.Sequential):
    """``nn.Sequential`` whose layer 0 is the ``nn.Normalization`` fitted on the training
    images. It also loads checkpoints written before that layer existed (inputs were
    standardised outside the model, with the same training-part statistics, and the
    layers numbered from 0): their keys are shifted by one and layer 0 keeps the
    statistics ``adapt`` found, which are the ones those runs used."""

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        if "0.mean" not in state_dict and "0.weight" in state_dict:
            state_dict = _shifted_keys(state_dict, self[0].state_dict())
        return super().load_state_dict(state_dict, strict, assign)


def _shifted_keys(old: dict, norm_state: dict) -> dict:
    """An earlier layout's ``'<i>.<name>'`` keys as ``'<i+1>.<name>'``, plus layer 0's."""
    new = {f"0.{k}": v for k, v in norm_state.items()}
    for key, value in old.items():
        m = re.fullmatch(r"(\d+)\.(.+)", key)
        new[f"{int(m.group(1)) + 1}.{m.group(2)}" if m else key] = value
    return new


class _DigitsTask(Task):
    image = False

    def loaders(self):
        x, y, xv, yv, xt, yt = _splits()
        if not self.image:  # (N, 1, 8, 8) -> (N, 64)
            xv, xt = xv.reshape(len(xv), -1), xt.reshape(len(xt), -1)
        bs = self.config.batch_size
        train = ShiftedImages(x, y, flatten=not self.image)
        return (
            DataLoader(train, batch_size=bs, shuffle=True),
            DataLoader(TensorDataset(xv, yv), batch_size=512),
            DataLoader(TensorDataset(xt, yt), batch_size=512),
        )

    def normalization(self) -> nn.Normalization:
        """Fitted on the training part (validation images held out). One mean and scale
        for all pixels (``axis=None``): it keeps the images' spatial structure, and the
        always-blank corner pixels (variance 0) would otherwise be divided by ε."""
        return nn.Normalization(axis=None).adapt(_splits()[0])

    def make_scheduler(self, optimizer):
        return CosineAnnealingLR(optimizer, T_max=self.config.epochs)


@dataclasses.dataclass
class DigitsMLPConfig(TaskConfig):
    epochs: int = 40
    batch_size: int = 64
    lr: float = 2e-3
    hidden: int = option(512, "units in each of the two hidden layers")
    dropout: float = option(0.2, "dropout probability after each hidden layer")


@dataclasses.dataclass
class DigitsCNNConfig(TaskConfig):
    epochs: int = 15
    batch_size: int = 32
    lr: float = 3e-3
    hidden: int = option(32, "channels of the first two convolutions (the third has twice)")
    dropout: float = option(0.25, "dropout probability before the linear layer")


@register
class DigitsMLP(_DigitsTask):
    name = "digits-mlp"
    description = "MLP 64-h-h-10 with ReLU and dropout on the 8x8 digits"
    Config = DigitsMLPConfig

    def build_model(self) -> nn.Module:
        h, p = self.config.hidden, self.config.dropout
        return DigitsNet(
            self.normalization(),
            nn.Linear(64, h),
            nn.ReLU(),
            nn.Dropout(p),
            nn.Linear(h, h),
            nn.ReLU(),
            nn.Dropout(p),
            nn.Linear(h, 10),
        )


@register
class DigitsCNN(_DigitsTask):
    name = "digits-cnn"
    description = (
        "CNN on the 8x8 digits as 1x8x8 images: 3 conv-BN-ReLU stages, "
        "2 max pools, shift augmentation"
    )
    Config = DigitsCNNConfig
    image = True

    def build_model(self) -> nn.Module:
        h, p = self.config.hidden, self.config.dropout
        return DigitsNet(
            self.normalization(),
            nn.Conv2d(1, h, 3, padding=1),
            nn.BatchNorm2d(h),
            nn.ReLU(),  # h x 8 x 8
            nn.Conv2d(h, h, 3, padding=1),
            nn.BatchNorm2d(h),
            nn.ReLU(),
            nn.MaxPool2d(2),  # h x 4 x 4
            nn.Conv2d(h, 2 * h, 3, padding=1),
            nn.BatchNorm2d(2 * h),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 2h x 2 x 2
            nn.Flatten(),
            nn.Dropout(p),
            nn.Linear(8 * h, 10),
        )
