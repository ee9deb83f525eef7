"""The gradient monitor on a cuda model (the strict stand-in in CI): its statistics are
host work on sampled steps, so a device model gives the CPU model's numbers."""

import copy

import numpy as np
import pytest

import nerve
import nerve.nn.functional as F
from nerve import nn
from nerve.diagnostics import GradientMonitor


def _samples(model, x, y, device):
    model = copy.deepcopy(model).to(device)
    x, y = x.to(device), y.to(device)
    monitor = GradientMonitor(model, every=1)
    opt = nerve.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(2):
        monitor.begin_step()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        monitor.end_step(loss)
    return monitor.samples


@pytest.mark.parametrize("kind", ["mlp", "rnn"])
def test_monitor_on_cuda_gives_the_cpu_numbers(kind):
    nerve.manual_seed(0)
    if kind == "mlp":
        model, x = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)), nerve.randn(5, 6)
        y = nerve.tensor([0, 1, 2, 1, 0])
    else:
        model, x, y = _Last(), nerve.randn(3, 2, 4), nerve.tensor([0, 1, 2])
    cpu, dev = _samples(model, x, y, "cpu"), _samples(model, x, y, "cuda")
    for a, b in zip(cpu, dev):
        assert a.loss == pytest.approx(b.loss, rel=1e-5)
        for k in a.layers:
            for key in ("weight_norm", "grad_norm"):
                assert a.layers[k][key] == pytest.approx(b.layers[k][key], rel=1e-5)
        for name in a.activations:
            assert a.activations[name]["mean"] == pytest.approx(
                b.activations[name]["mean"], rel=1e-5, abs=1e-7
            )
        for name in a.time_norms:
            np.testing.assert_allclose(b.time_norms[name], a.time_norms[name], rtol=1e-5)
        assert set(a.time_norms) == set(b.time_norms)


class _Last(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(4, 5, batch_first=True)
        self.head = nn.Linear(5, 3)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])
