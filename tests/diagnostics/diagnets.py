"""Networks built to have each training problem, and healthy ones, for the verdict tests."""

import numpy as np

import nerve
import nerve.nn.functional as F
from nerve import nn
from nerve.diagnostics import GradientMonitor


def data(n=256, d=16, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = (x[:, :classes].argmax(1)).astype(np.int64)
    return nerve.from_numpy(x), nerve.from_numpy(y)


def mlp(act, depth=3, width=32, d=16, classes=4):
    layers, n_in = [], d
    for _ in range(depth - 1):
        layers += [nn.Linear(n_in, width), act()]
        n_in = width
    return nn.Sequential(*layers, nn.Linear(n_in, classes))


def run(model, lr=0.1, steps=40, every=5, batch=64, loss="ce", **kw):
    """Train with plain SGD under a monitor; returns the monitor."""
    x, y = data()
    if loss == "mse":
        y = nerve.from_numpy(np.eye(4, dtype=np.float32)[y.numpy()] * 10)
    monitor = GradientMonitor(model, every=every, **kw)
    opt = nerve.optim.SGD(model.parameters(), lr=lr)
    rng = np.random.default_rng(1)
    for _ in range(steps):
        idx = rng.integers(0, x.shape[0], batch)
        monitor.begin_step()
        opt.zero_grad()
        out = model(x[idx])
        value = F.cross_entropy(out, y[idx]) if loss == "ce" else F.mse_loss(out, y[idx])
        value.backward()
        opt.step()
        monitor.end_step(value)
    monitor.close()
    return monitor
