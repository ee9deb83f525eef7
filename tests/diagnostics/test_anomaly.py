"""Anomaly mode: the op and the layer that first produced a NaN or an Inf."""

import numpy as np
import pytest
from diagnets import data, mlp, run

import nerve
import nerve.nn.functional as F
from nerve import nn
from nerve.autograd import function
from nerve.data import DataLoader, TensorDataset
from nerve.diagnostics import AnomalyError, GradientMonitor, detect_anomaly
from nerve.train import fit


class Log(nn.Module):
    def forward(self, x):
        return x.log()


class Sqrt(nn.Module):
    def forward(self, x):
        return x.sqrt()


def _net(last):
    model = nn.Sequential(nn.Linear(2, 2), last)
    model[0].weight._data[...] = [[1.0, 0.0], [0.0, 1.0]]
    model[0].bias._data[...] = 0.0
    return model


pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_forward_nan_names_the_op_and_the_layer():
    model = _net(Log())
    x = nerve.tensor([[-1.0, 2.0]])
    with pytest.raises(AnomalyError) as err, detect_anomaly(model):
        model(x)
    msg = str(err.value)
    assert "Log in layer 1 (Log) produced nan in the forward pass" in msg
    assert "max |x| 2" in msg
    assert isinstance(err.value, RuntimeError)
    assert function._observer is None  # switched off again by the exception


def test_backward_inf_names_the_backward_op():
    model = _net(Sqrt())
    x = nerve.tensor([[0.0, 4.0]])
    with (
        pytest.raises(
            AnomalyError,
            match=r"SqrtBackward in layer 1 \(Sqrt\) produced inf "
            r"in the backward pass",
        ),
        detect_anomaly(model),
    ):
        model(x).sum().backward()


def test_record_without_raising_keeps_the_first():
    model = _net(Log())
    with detect_anomaly(model, raise_error=False) as anomaly:
        y = model(nerve.tensor([[-1.0, -2.0]]))
        (y * 2).sum()
    assert np.isnan(y.detach().numpy()).all()
    first = anomaly.first
    assert (first.op, first.layer, first.phase, first.value) == ("Log", "1 (Log)", "forward", "nan")


def test_bad_data_is_reported_as_such():
    model = mlp(nn.ReLU, d=2)
    with pytest.raises(AnomalyError, match="already held nan: the data or a parameter is bad"):
        with detect_anomaly(model):
            model(nerve.tensor([[float("nan"), 1.0]]))


def test_finite_training_raises_nothing_and_without_a_model_names_the_op():
    model = mlp(nn.Tanh)
    with detect_anomaly(model):
        model(nerve.randn(8, 16)).sum().backward()
    with pytest.raises(AnomalyError, match=r"^anomaly: Log produced nan"), detect_anomaly():
        nerve.tensor([-1.0]).log()


def test_off_by_default_and_one_at_a_time():
    assert function._observer is None
    y = nerve.tensor([-1.0]).log()  # NaN is allowed when anomaly mode is off
    assert np.isnan(y.numpy()).all()
    with detect_anomaly(), pytest.raises(RuntimeError, match="already active"):
        with detect_anomaly():
            pass
    assert function._observer is None


def test_the_monitor_reports_the_first_op():
    monitor = run(mlp(nn.ReLU), lr=5.0, loss="mse", detect_anomaly=True)
    msg = monitor.verdict().findings[0].message
    assert monitor.anomaly.first is not None and monitor.anomaly_step is not None
    assert "the first non-finite value:" in msg and "produced" in msg
    assert function._observer is None  # close() ended anomaly mode


def test_the_monitor_in_fit_twice_with_anomaly_mode():
    x, y = data()
    loader = DataLoader(TensorDataset(x, y), batch_size=64)
    model = mlp(nn.ReLU)
    monitor = GradientMonitor(every=2, detect_anomaly=True)
    opt = nerve.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(2):
        fit(model, F.cross_entropy, opt, loader, callbacks=[monitor], verbose=False)
        assert function._observer is None
    assert monitor.step == 8 and monitor.anomaly.first is None and monitor.verdict().healthy
