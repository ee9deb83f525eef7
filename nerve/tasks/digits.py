"""The 8x8 handwritten digits: an MLP and a CNN (the data ship inside nerve)."""

from __future__ import annotations

from nerve import nn
from nerve.data import DataLoader, TensorDataset
from nerve.tasks.base import Task, register

N_VAL = 200


def _digits_loaders(batch_size: int, image: bool):
    from nerve.data.datasets import load_digits

    x, y = load_digits("train", flatten=not image)
    xt, yt = load_digits("test", flatten=not image)
    train = TensorDataset(x[:-N_VAL], y[:-N_VAL])
    val = TensorDataset(x[-N_VAL:], y[-N_VAL:])
    return (DataLoader(train, batch_size=batch_size, shuffle=True),
            DataLoader(val, batch_size=512), DataLoader(TensorDataset(xt, yt), batch_size=512))


@register
class DigitsMLP(Task):
    name = "digits-mlp"
    description = "MLP 64-h-h-10 with ReLU and dropout on the 8x8 digits"
    defaults = {"epochs": 40, "batch_size": 32, "lr": 2e-3, "hidden": 128}

    def build_model(self) -> nn.Module:
        h = int(self.config["hidden"])
        return nn.Sequential(nn.Linear(64, h), nn.ReLU(), nn.Dropout(0.1),
                             nn.Linear(h, h), nn.ReLU(), nn.Dropout(0.1), nn.Linear(h, 10))

    def loaders(self):
        return _digits_loaders(int(self.config["batch_size"]), image=False)


@register
class DigitsCNN(Task):
    name = "digits-cnn"
    description = "CNN conv(1->32)-conv(32->64)-pool-linear on the 8x8 digits as 1x8x8 images"
    defaults = {"epochs": 30, "batch_size": 32, "lr": 2e-3, "hidden": 128}

    def build_model(self) -> nn.Module:
        h = int(self.config["hidden"])
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 4 * 4, h), nn.ReLU(),
            nn.Linear(h, 10))

    def loaders(self):
        return _digits_loaders(int(self.config["batch_size"]), image=True)
