"""Networks built to have each training problem, and healthy ones, for the verdict tests.

MUST_DETECT maps a broken net to the problem its verdict must name (and the problems it
must not name, the wrong verdicts seen before); HEALTHY lists the twins that must get no
alarm. Each entry builds the net, trains it under a monitor and returns the monitor."""

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


class FunctionalMLP(nn.Module):
    """Linear layers with the activation called in forward (F.relu, Tensor.tanh, ...),
    not as modules: the monitor must see it at the op level."""

    def __init__(self, act, depth=3, width=32, d=16, classes=4):
        super().__init__()
        dims = [d] + [width] * (depth - 1)
        self.fcs = nn.ModuleList([nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:])])
        self.out = nn.Linear(width, classes)
        self.act = act

    def forward(self, x):
        for fc in self.fcs:
            x = self.act(fc(x))
        return self.out(x)


def rnn_monitor(kind, scale=1.0, steps=3, forget_bias=0.0, every_step_loss=False):
    """A recurrent layer over 40 steps, trained with the loss at the last step only (or at
    every step); ``scale`` multiplies weight_hh, ``forget_bias`` sets the LSTM's."""
    nerve.manual_seed(0)
    rnn, head = getattr(nn, kind)(4, 16, batch_first=True), nn.Linear(16, 2)
    model = nn.ModuleList([rnn, head])
    for name, p in rnn.named_parameters():
        if name.startswith("weight_hh"):
            p._data *= scale
    if forget_bias:
        rnn.bias_ih_l0._data[16:32] = forget_bias  # gate order i, f, g, o
    x = nerve.randn(8, 40, 4)
    y = nerve.from_numpy(np.arange(8) % 2)
    monitor = GradientMonitor(model, every=1)
    opt = nerve.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(steps):
        monitor.begin_step()
        opt.zero_grad()
        out, _ = rnn(x)
        if every_step_loss:
            every = nerve.from_numpy(np.repeat(y.numpy(), 40))
            loss = F.cross_entropy(head(out).reshape(-1, 2), every)
        else:
            loss = F.cross_entropy(head(out[:, -1]), y)  # only the last step's loss
        loss.backward()
        opt.step()
        monitor.end_step(loss)
    return monitor


def _dead_bias(model, layer):
    layer.bias._data[...] = -20.0  # no unit of the next ReLU can activate
    return model


def _functional_relu(bias=None):
    nerve.manual_seed(0)
    model = FunctionalMLP(F.relu)
    return run(_dead_bias(model, model.fcs[0]) if bias else model, steps=60)


def _tensor_method_relu():
    nerve.manual_seed(0)
    model = FunctionalMLP(lambda x: x.relu())
    return run(_dead_bias(model, model.fcs[0]))


def _saturated(model):
    first = next(m for m in model.modules() if isinstance(m, nn.Linear))
    first.weight._data *= 200  # every unit of the next tanh in its flat tails
    return run(model)


MUST_DETECT = {
    # name: (build, the problem named, problems that must not be named)
    "deep sigmoid MLP": (lambda: run(mlp(nn.Sigmoid, depth=10)), "vanishing", ()),
    "dead ReLU modules": (
        lambda: run(_dead_bias(m := mlp(nn.ReLU), m[0])),
        "dead_relu",
        ("vanishing",),
    ),
    "dead F.relu": (lambda: _functional_relu(bias=True), "dead_relu", ("vanishing",)),
    "dead Tensor.relu": (_tensor_method_relu, "dead_relu", ("vanishing",)),
    "saturated F.tanh": (lambda: _saturated(FunctionalMLP(F.tanh)), "saturated", ()),
    "plain RNN through time": (lambda: rnn_monitor("RNN", 0.2), "vanishing_time", ()),
    "LSTM through time": (lambda: rnn_monitor("LSTM"), "vanishing_time", ()),
    "GRU through time": (lambda: rnn_monitor("GRU", 0.2), "vanishing_time", ()),
}


HEALTHY = {
    "F.relu MLP": lambda: _functional_relu(),
    "Tensor.relu MLP": lambda: run(FunctionalMLP(lambda x: x.relu()), steps=60),
    "F.tanh MLP": lambda: run(FunctionalMLP(F.tanh), steps=60),
    "F.sigmoid MLP": lambda: run(FunctionalMLP(F.sigmoid), lr=0.5, steps=60),
    "LSTM, forget-gate bias 3": lambda: rnn_monitor("LSTM", forget_bias=3.0),
    "LSTM, loss at every step": lambda: rnn_monitor("LSTM", every_step_loss=True),
    "GRU, loss at every step": lambda: rnn_monitor("GRU", every_step_loss=True),
}
