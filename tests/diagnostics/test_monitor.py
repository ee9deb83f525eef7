"""The monitor's numbers, its sampling, its hooks, and its use as a fit callback."""

import math

import numpy as np
import pytest
from diagnets import FunctionalMLP, data, mlp, run

import nerve
import nerve.nn.functional as F
from nerve import nn
from nerve.autograd import function
from nerve.data import DataLoader, TensorDataset
from nerve.diagnostics import GradientMonitor
from nerve.train import fit


def test_norms_and_update_ratio_match_a_hand_computation():
    model = mlp(nn.ReLU)
    x, y = data()
    monitor = GradientMonitor(model, every=1)
    before = {n: p._data.copy() for n, p in model.named_parameters()}
    monitor.begin_step()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    grads = {n: p.grad._data.copy() for n, p in model.named_parameters()}
    nerve.optim.SGD(model.parameters(), lr=0.1).step()
    monitor.end_step(loss)
    (sample,) = monitor.samples
    assert sample.loss == pytest.approx(loss.item())
    for layer, name in zip(monitor.layers, ("0", "2", "4")):
        stats = sample.layers[layer.index]
        keys = (f"{name}.weight", f"{name}.bias")
        w = math.sqrt(
            sum((model.get_parameter(k)._data.astype(np.float64) ** 2).sum() for k in keys)
        )
        g = math.sqrt(sum((grads[k].astype(np.float64) ** 2).sum() for k in keys))
        assert stats["weight_norm"] == pytest.approx(w, rel=1e-5)
        assert stats["grad_norm"] == pytest.approx(g, rel=1e-5)
        assert stats["update_ratio"] == pytest.approx(0.1 * g / w, rel=1e-4)
    assert sample.grad_norm == pytest.approx(
        math.sqrt(sum(s["grad_norm"] ** 2 for s in sample.layers.values()))
    )
    assert [layer.label for layer in monitor.layers] == [
        "layer 1 (0: Linear)",
        "layer 2 (2: Linear)",
        "layer 3 (4: Linear)",
    ]
    assert [(a.name, a.kind, a.after) for a in monitor.activations] == [
        ("1", "relu", 1),
        ("3", "relu", 2),
    ]
    del before


def test_activation_statistics():
    model = nn.Sequential(
        nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3), nn.Tanh(), nn.Linear(3, 2), nn.Sigmoid()
    )
    model[0].bias._data[:3] = -100.0  # units 0-2 can never activate
    model[2].weight._data[...] = 0.0
    model[2].bias._data[...] = [5.0, 0.0, -5.0]  # tanh saturated in 2 of 3 units
    monitor = GradientMonitor(model, every=1)
    monitor.begin_step()
    model(nerve.randn(32, 4)).sum().backward()
    monitor.end_step(0.0)
    acts = monitor.samples[0].activations
    assert acts["1"]["dead"] == pytest.approx(0.5, abs=1 / 6)  # 3 dead + maybe one more
    assert not acts["1"]["active"][:3].any()
    assert acts["3"]["saturated"] == pytest.approx(2 / 3)
    assert acts["5"]["n"] == 32 and len(acts["5"]["values"]) == 64


def test_only_sampled_steps_are_recorded_and_hooks_are_removed():
    model = mlp(nn.ReLU)
    monitor = run(model, steps=25, every=10)
    assert [s.step for s in monitor.samples] == [0, 10, 20]
    assert len(monitor.losses) == 25 and monitor.step == 25
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    assert function.forward_observers == []  # the monitor left the op observers
    steps, series = monitor.series("grad_norm")
    assert list(steps) == [0, 10, 20] and set(series) == {1, 2, 3}
    assert np.isfinite(series[1]).all()


def test_conv_units_are_channels():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
    model[0].bias._data[:] = [-100.0, 0.0, 0.0, 0.0]
    monitor = GradientMonitor(model, every=1)
    monitor.begin_step()
    model(nerve.randn(8, 1, 6, 6)).sum().backward()
    monitor.end_step(0.0)
    assert monitor.samples[0].activations["1"]["active"].tolist() == [False, True, True, True]


def test_as_a_fit_callback():
    x, y = data()
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    model = mlp(nn.ReLU)
    monitor = GradientMonitor(every=3)
    fit(
        model,
        F.cross_entropy,
        nerve.optim.SGD(model.parameters(), lr=0.1),
        loader,
        epochs=2,
        callbacks=[monitor],
        verbose=False,
    )
    assert monitor.model is model and monitor.step == 16
    assert [s.step for s in monitor.samples] == [0, 3, 6, 9, 12, 15]
    assert all(math.isfinite(s.layers[1]["update_ratio"]) for s in monitor.samples)
    assert monitor.verdict().healthy


def test_bad_arguments():
    with pytest.raises(ValueError, match="every must be a positive int"):
        GradientMonitor(every=0)
    with pytest.raises(TypeError, match="expected a nerve.nn.Module"):
        GradientMonitor(model="net")
    with pytest.raises(RuntimeError, match="attach"):
        GradientMonitor().begin_step()


def test_no_samples_yet():
    d = GradientMonitor(mlp(nn.ReLU)).verdict()
    assert d.healthy and "nothing sampled yet" in str(d)


def test_forward_observers_see_every_op_and_cost_nothing_when_empty():
    seen = []
    function.forward_observers.append(lambda fn, inputs, out: seen.append(type(fn).__name__))
    try:
        x = nerve.randn(3, 4)
        F.relu(x).tanh().sigmoid()
    finally:
        function.forward_observers.clear()
    assert seen == ["ReLU", "Tanh", "Sigmoid"]
    F.relu(x)
    assert seen == ["ReLU", "Tanh", "Sigmoid"]


def test_activations_are_seen_at_the_op_level():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.act, self.fc2 = nn.Linear(4, 6), nn.Sigmoid(), nn.Linear(6, 3)
            self.lstm = nn.LSTM(3, 5, batch_first=True)

        def forward(self, x):
            h = self.act(self.fc1(x))  # a module
            h = F.relu(self.fc2(h)).tanh()  # F.relu, then a Tensor method
            return self.lstm(h.unsqueeze(1))[0].sum()  # the LSTM's gates: not activations

    model = Net()
    model.fc2.bias._data[...] = -100.0  # every unit of the relu dead
    monitor = GradientMonitor(model, every=1)
    monitor.begin_step()
    model(nerve.randn(32, 4)).backward()
    monitor.end_step(0.0)
    assert [(a.name, a.kind, a.after) for a in monitor.activations] == [
        ("act", "sigmoid", 1),
        ("model.relu#1", "relu", 2),
        ("model.tanh#1", "tanh", 2),
    ]
    acts = monitor.samples[0].activations
    assert acts["model.relu#1"]["dead"] == 1.0 and acts["model.tanh#1"]["saturated"] == 0.0
    assert monitor.activations[1].label == "the relu after layer 2 (model.relu#1)"


def test_ops_outside_the_model_or_between_samples_are_not_watched():
    model = FunctionalMLP(F.relu)
    monitor = GradientMonitor(model, every=2)
    x = nerve.randn(16, 16)
    for _ in range(3):
        monitor.begin_step()
        F.relu(model(x)).sum().backward()  # this relu is the loss's, not the model's
        monitor.end_step(0.0)
    assert [a.name for a in monitor.activations] == ["model.relu#1", "model.relu#2"]
    assert len(monitor.samples) == 2 and function.forward_observers == []


def test_a_forward_that_raises_leaves_no_observer_behind():
    model = FunctionalMLP(F.relu)
    monitor = GradientMonitor(model, every=1)
    monitor.begin_step()
    with pytest.raises(RuntimeError):
        model(nerve.randn(2, 5))  # 5 features for a 16-feature layer
    monitor.begin_step()  # the next step starts clean
    model(nerve.randn(4, 16)).sum().backward()
    monitor.end_step(0.0)
    assert function.forward_observers == []
    assert monitor.samples[0].activations["model.relu#1"]["n"] == 4
    monitor.close()
