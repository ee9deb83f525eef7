"""Tiny stand-ins for a layer, a loss, an optimizer and a loader, so the training loop's
tests depend only on the autograd core and exercise the loop's own logic."""

from __future__ import annotations

import numpy as np

import nerve
from nerve.nn import Module, Parameter


class TinyLinear(Module):
    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        bound = 1 / np.sqrt(n_in)
        rng = nerve.random.rng()
        self.weight = Parameter(rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32))
        self.bias = Parameter(rng.uniform(-bound, bound, n_out).astype(np.float32))

    def forward(self, x):
        return x @ self.weight.T + self.bias


class TinyMLP(Module):
    """Linear-ReLU-(dropout)-Linear; the dropout draws from the global generator, so a
    resumed run is exact only if that generator's state is restored."""

    def __init__(self, n_in: int, hidden: int, n_out: int, p: float = 0.0) -> None:
        super().__init__()
        self.fc1, self.fc2, self.p = TinyLinear(n_in, hidden), TinyLinear(hidden, n_out), p
        self.seen_modes: list[tuple[bool, bool]] = []

    def forward(self, x):
        self.seen_modes.append((self.training, nerve.is_grad_enabled()))
        h = nerve.relu(self.fc1(x))
        if self.training and self.p > 0:
            keep = nerve.random.rng().random(h.shape) >= self.p
            h = h * nerve.Tensor._wrap((keep / (1 - self.p)).astype(np.float32))
        return self.fc2(h)


def cross_entropy(out, y):
    logp = nerve.log_softmax(out, dim=1)
    return -nerve.gather(logp, 1, y.reshape(-1, 1)).mean()


def mse(out, y):
    return ((out - y) ** 2).mean()


class TinySGD:
    """SGD with momentum: its momentum buffers make the optimizer state matter on resume."""

    def __init__(self, params, lr: float = 0.1, momentum: float = 0.9) -> None:
        self.params = list(params)
        self.param_groups = [{"params": self.params, "lr": lr, "momentum": momentum}]
        self.buf = [np.zeros_like(p._data) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        g = self.param_groups[0]
        for p, b in zip(self.params, self.buf):
            if p.grad is not None:
                b *= g["momentum"]
                b += p.grad._data
                p._data -= g["lr"] * b

    def state_dict(self) -> dict:
        return {"lr": self.param_groups[0]["lr"], "buf": [b.copy() for b in self.buf]}

    def load_state_dict(self, state: dict) -> None:
        self.param_groups[0]["lr"] = float(state["lr"])
        for b, saved in zip(self.buf, state["buf"]):
            b[...] = np.asarray(saved)


class TinyLoader:
    """(x, y) batches; shuffling draws a permutation per epoch from the global generator."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = False):
        self.x, self.y, self.batch_size, self.shuffle = x, y, batch_size, shuffle

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __iter__(self):
        n = len(self.x)
        order = nerve.random.rng().permutation(n) if self.shuffle else np.arange(n)
        for i in range(0, n, self.batch_size):
            idx = order[i : i + self.batch_size]
            yield nerve.Tensor._wrap(self.x[idx]), nerve.Tensor._wrap(self.y[idx])


def blobs(n: int = 120, n_in: int = 4, classes: int = 3, seed: int = 0):
    """Separable Gaussian clusters: float32 inputs, int64 labels."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, (classes, n_in))
    y = rng.integers(0, classes, n)
    x = (centers[y] + rng.normal(0, 1, (n, n_in))).astype(np.float32)
    return x, y.astype(np.int64)
