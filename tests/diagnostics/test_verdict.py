"""Verdicts on networks built to have each problem, and no false alarm on healthy ones."""

import numpy as np
import pytest
from diagnets import HEALTHY, MUST_DETECT, FunctionalMLP, mlp, rnn_monitor, run

import nerve
import nerve.nn.functional as F
from nerve import nn
from nerve.diagnostics import GradientMonitor


def test_vanishing_gradients_in_deep_sigmoid_mlp():
    d = run(mlp(nn.Sigmoid, depth=10)).verdict()
    assert d.problems == ["vanishing"]
    f = d.findings[0]
    assert f.numbers["ratio"] < 1e-4
    assert "gradient norm at layer 1 is" in f.message and "of layer 10's" in f.message
    assert "vanishing gradients" in f.message
    assert any("ReLU" in r for r in f.remedies) and any("residual" in r for r in f.remedies)
    assert any("Glorot" in r for r in f.remedies)


def test_dead_relus_from_a_large_negative_bias():
    model = mlp(nn.ReLU)
    model[0].bias._data[...] = -20.0
    d = run(model).verdict()
    assert "dead_relu" in d.problems
    assert "vanishing" not in d.problems  # the dead units are the cause, not depth
    dead = next(f for f in d.findings if f.problem == "dead_relu")
    assert dead.numbers["fraction"] == 1.0 and dead.numbers["layer"] == 1
    assert "100% of the units of the relu after layer 1" in dead.message
    assert "never activate" in dead.message
    assert any("leaky ReLU" in r for r in dead.remedies)


def test_saturated_tanh_from_huge_weights():
    model = mlp(nn.Tanh)
    model[0].weight._data *= 200
    d = run(model).verdict()
    sat = next(f for f in d.findings if f.problem == "saturated")
    assert sat.numbers["fraction"] > 0.8 and sat.numbers["layer"] == 1
    assert "tanh after layer 1" in sat.message and "saturated" in sat.message
    assert any("Glorot" in r for r in sat.remedies)


def test_saturated_sigmoid():
    model = mlp(nn.Sigmoid)
    model[0].weight._data *= 200
    assert "saturated" in run(model).verdict().problems


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_from_a_huge_learning_rate_is_exploding_gradients():
    monitor = run(mlp(nn.ReLU), lr=5.0, loss="mse")
    assert monitor.nonfinite_step is not None
    d = monitor.verdict()
    f = d.findings[0]
    assert f.problem == "exploding"
    assert f"at step {monitor.nonfinite_step}" in f.message
    assert "exploding gradients" in f.message and "after the gradient norm reached" in f.message
    # the diverging loss made the monitor sample every step: the peak norm is on record
    assert f.numbers["grad_norm"] > 1e3
    assert any("lower learning rate" in r for r in f.remedies)
    assert any("clipping" in r for r in f.remedies)
    # activations after the NaN are garbage: no dead-unit verdict from them
    assert all(x.problem == "exploding" for x in d.findings)


def test_growing_gradient_norm_is_exploding():
    monitor = GradientMonitor(mlp(nn.ReLU), every=1)
    for scale in (1.0, 10.0, 1e4):  # grads forced to grow, the weights left alone
        monitor.begin_step()
        for p in monitor.model.parameters():
            p.grad = nerve.from_numpy(np.full(p.shape, scale, np.float32))
        monitor.end_step(1.0)
    d = monitor.verdict()
    assert d.problems == ["exploding"] and "grew" in d.findings[0].message


@pytest.mark.parametrize(
    "act,depth,lr",
    [
        (nn.ReLU, 3, 0.1),
        (nn.Tanh, 3, 0.1),
        (nn.Sigmoid, 3, 0.5),
        (nn.ReLU, 6, 0.05),
        (nn.LeakyReLU, 4, 0.1),
    ],
)
def test_healthy_networks_get_no_false_alarm(act, depth, lr):
    d = run(mlp(act, depth=depth), lr=lr, steps=60).verdict()
    assert d.healthy, str(d)
    assert str(d).startswith("healthy:") and "sampled steps" in str(d)


def test_healthy_residual_and_batchnorm_nets():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.bn, self.relu = nn.Linear(32, 32), nn.BatchNorm1d(32), nn.ReLU()

        def forward(self, x):
            return x + self.relu(self.bn(self.fc(x)))

    model = nn.Sequential(nn.Linear(16, 32), *[Block() for _ in range(6)], nn.Linear(32, 4))
    assert run(model).verdict().healthy


def test_vanishing_gradients_through_time_in_a_plain_rnn():
    monitor = rnn_monitor("RNN", 0.2)
    norms = monitor.samples[-1].time_norms["0"]
    assert norms.shape == (40,) and norms[0] < norms[-1] * 1e-3
    assert rnn_is_not_recording(monitor)
    d = monitor.verdict()
    f = next(f for f in d.findings if f.problem == "vanishing_time")
    assert "(RNN)" in f.message and "through time" in f.message
    assert any("LSTM or GRU" in r for r in f.remedies)
    assert any("orthogonal" in r for r in f.remedies)


def rnn_is_not_recording(monitor):
    return not monitor.model[0].record_grad_norms  # restored after the sampled step


def test_lstm_with_a_forget_gate_bias_keeps_its_gradient_through_time():
    monitor = rnn_monitor("LSTM", 1.0, forget_bias=3.0)
    norms = monitor.samples[-1].time_norms["0"]
    assert norms[0] > norms.max() * 1e-3
    assert monitor.verdict().healthy


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_no_alarm_through_time_with_a_loss_at_every_step(kind):
    assert rnn_monitor(kind, 1.0, every_step_loss=True).verdict().healthy


@pytest.mark.parametrize("name", list(MUST_DETECT))
def test_must_detect(name):
    build, problem, wrong = MUST_DETECT[name]
    d = build().verdict()
    assert problem in d.problems, f"{name}: {d}"
    assert not set(wrong) & set(d.problems), f"{name}: {d}"


@pytest.mark.parametrize("name", list(HEALTHY))
def test_no_false_alarm(name):
    d = HEALTHY[name]().verdict()
    assert d.healthy, f"{name}: {d}"


def test_dead_relus_written_with_f_relu_are_not_called_vanishing():
    model = FunctionalMLP(F.relu)
    model.fcs[0].bias._data[...] = -20.0
    monitor = run(model)
    d = monitor.verdict()
    assert "vanishing" not in d.problems
    dead = next(f for f in d.findings if f.problem == "dead_relu")
    assert dead.numbers == {"fraction": 1.0, "layer": 1}
    assert "the relu after layer 1 (model.relu#1)" in dead.message
    assert not any("instead of sigmoid" in r for f in d.findings for r in f.remedies)
    assert [(a.name, a.kind, a.after) for a in monitor.activations] == [
        ("model.relu#1", "relu", 1),
        ("model.relu#2", "relu", 2),
    ]


def test_lstm_vanishing_through_time_gets_remedies_for_an_lstm():
    monitor = rnn_monitor("LSTM")  # PyTorch's init: forget gate ≈ σ(0) = 0.5 per step
    f = next(f for f in monitor.verdict().findings if f.problem == "vanishing_time")
    assert "(LSTM)" in f.message
    assert not any("LSTM or GRU" in r or "plain RNN" in r for r in f.remedies)
    assert any("forget-gate bias" in r for r in f.remedies)
    reach = f.numbers["reach"]
    assert 0 < reach < 40 and any(f"about {reach} steps" in r for r in f.remedies)


def test_gru_vanishing_through_time_gets_remedies_for_a_gru():
    f = next(f for f in rnn_monitor("GRU", 0.2).verdict().findings if f.problem == "vanishing_time")
    assert "(GRU)" in f.message and not any("plain RNN" in r for r in f.remedies)
    assert any("update-gate bias" in r for r in f.remedies)


def test_vanishing_in_a_relu_net_is_not_told_to_use_relu():
    model = mlp(nn.ReLU, depth=10)
    for m in model.modules():
        if isinstance(m, nn.Linear):
            m.weight._data *= 0.2  # far below He: each layer shrinks the gradient
    d = run(model).verdict()
    f = next(f for f in d.findings if f.problem == "vanishing")
    assert not any("instead of sigmoid" in r for r in f.remedies)
    assert any("He" in r for r in f.remedies)
    assert "layer 1/layer" not in d.summary  # the ratio is stated once, in the finding
