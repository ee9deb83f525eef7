"""nn.init: gains and fans as PyTorch computes them, distributions checked statistically."""

import math

import numpy as np
import pytest
import torch

import nerve
from nerve.nn import init

SHAPES = [(30, 20), (8, 4, 3, 3), (5, 7, 2), (1, 1)]


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_match_torch(shape):
    ref = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(nerve.empty(*shape)) == ref


def test_fan_needs_two_dims():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(nerve.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(nerve.empty(3, 3), mode="fan_avg")


@pytest.mark.parametrize(
    "name,param",
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 3),
        ("selu", None),
    ],
)
def test_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param)
    )


def test_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "x")


def _draw(fn, shape=(400, 300), **kw):
    t = nerve.empty(*shape)
    out = fn(t, **kw)
    assert out is t and t.dtype == nerve.float32
    return t.numpy().astype(np.float64)


def test_uniform_and_normal():
    u = _draw(init.uniform_, a=-2.0, b=3.0)
    assert u.min() >= -2 and u.max() <= 3 and abs(u.mean() - 0.5) < 0.02
    n = _draw(init.normal_, mean=1.0, std=2.0)
    assert abs(n.mean() - 1) < 0.02 and abs(n.std() - 2) < 0.02


@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier(gain):
    fan_in, fan_out = 300, 400
    a = gain * math.sqrt(6 / (fan_in + fan_out))
    u = _draw(init.xavier_uniform_, gain=gain)
    assert np.abs(u).max() <= a and np.abs(u).max() > 0.99 * a
    assert abs(u.std() - a / math.sqrt(3)) < 0.01 * a
    n = _draw(init.xavier_normal_, gain=gain)
    assert abs(n.std() - gain * math.sqrt(2 / (fan_in + fan_out))) < 0.01 * a


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("relu", 0), ("leaky_relu", 0.1), ("tanh", 0)])
def test_kaiming(mode, nonlinearity, a):
    shape = (200, 50, 3, 3)
    fan = 50 * 9 if mode == "fan_in" else 200 * 9
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    u = _draw(init.kaiming_uniform_, shape, a=a, mode=mode, nonlinearity=nonlinearity)
    bound = math.sqrt(3) * std
    assert np.abs(u).max() <= bound * (1 + 1e-6) and np.abs(u).max() > 0.99 * bound
    assert abs(u.std() - std) < 0.01 * std
    n = _draw(init.kaiming_normal_, shape, a=a, mode=mode, nonlinearity=nonlinearity)
    assert abs(n.std() - std) < 0.01 * std and abs(n.mean()) < 0.01 * std


def test_kaiming_default_matches_torch_bound():
    # PyTorch's default Linear weight init: kaiming_uniform_(a=√5) gives bound 1/√fan_in
    u = _draw(init.kaiming_uniform_, (64, 100), a=math.sqrt(5))
    assert np.abs(u).max() <= 0.1 and np.abs(u).max() > 0.098


def test_trunc_normal_eye_orthogonal_constant():
    t = _draw(init.trunc_normal_, std=1.0, a=-0.5, b=1.0)
    assert t.min() >= -0.5 and t.max() <= 1.0 and t.max() > 0.99
    e = _draw(init.eye_, (3, 4))
    np.testing.assert_array_equal(e, np.eye(3, 4))
    with pytest.raises(ValueError):
        init.eye_(nerve.empty(2, 2, 2))
    for shape in [(6, 4), (4, 6), (3, 2, 2)]:
        q = _draw(init.orthogonal_, shape).reshape(shape[0], -1)
        small = q @ q.T if q.shape[0] <= q.shape[1] else q.T @ q
        np.testing.assert_allclose(small, np.eye(min(q.shape)), atol=1e-5)
    np.testing.assert_array_equal(
        _draw(init.constant_, (2, 2), val=0.3), np.full((2, 2), np.float32(0.3))
    )
    assert not _draw(init.zeros_, (2, 2)).any() and _draw(init.ones_, (2,)).all()


def test_reproducible_with_manual_seed_and_generator():
    nerve.manual_seed(11)
    a = _draw(init.xavier_uniform_, (5, 5))
    nerve.manual_seed(11)
    np.testing.assert_array_equal(_draw(init.xavier_uniform_, (5, 5)), a)
    g = nerve.Generator().manual_seed(3)
    b = _draw(init.normal_, (4,), generator=g)
    g.manual_seed(3)
    np.testing.assert_array_equal(_draw(init.normal_, (4,), generator=g), b)


def test_works_on_parameters_without_recording_grad():
    p = nerve.nn.Parameter(nerve.empty(3, 4))
    init.kaiming_normal_(p)
    assert p.is_leaf and p.requires_grad and p.grad is None
    assert np.isfinite(p.detach().numpy()).all() and p.detach().numpy().std() > 0
