"""Padding layers against torch.nn: outputs, input gradients, repr, state_dict, errors."""

import numpy as np
import pytest
import torch
from layercheck import twin_check

import nerve
import nerve.nn as nn

LAYERS = [
    ("ZeroPad1d", (2,), (2, 3, 4)),
    ("ZeroPad1d", ((1, 3),), (3, 4)),
    ("ZeroPad1d", ((-1, 2),), (2, 3, 4)),
    ("ZeroPad2d", (1,), (2, 3, 4, 4)),
    ("ZeroPad2d", ((1, 2, 0, 3),), (3, 4, 4)),
    ("ConstantPad1d", (2, 3.5), (2, 3, 4)),
    ("ConstantPad1d", ((0, 2), -1.0), (1, 2, 3, 4)),  # any leading dims
    ("ConstantPad2d", (1, 0.5), (2, 3, 4, 4)),
    ("ConstantPad2d", ((2, 0, 1, 1), 2.0), (3, 4, 4)),
    ("ReflectionPad1d", (2,), (2, 3, 4)),
    ("ReflectionPad1d", ((3, 1),), (3, 5)),
    ("ReflectionPad2d", (1,), (2, 3, 4, 4)),
    ("ReflectionPad2d", ((2, 0, 1, 3),), (3, 4, 5)),
    ("ReplicationPad1d", (3,), (2, 3, 4)),
    ("ReplicationPad1d", ((0, 5),), (3, 2)),
    ("ReplicationPad2d", ((1, 2, 3, 0),), (2, 3, 4, 4)),
    ("ReplicationPad2d", (2,), (3, 4, 5)),
    ("CircularPad1d", (2,), (2, 3, 4)),
    ("CircularPad1d", ((4, 1),), (3, 4)),
    ("CircularPad2d", ((1, 2, 3, 0),), (2, 3, 4, 4)),
    ("CircularPad2d", (1,), (3, 4, 5)),
]


@pytest.mark.parametrize("name,args,shape", LAYERS, ids=lambda v: str(v))
def test_against_torch(name, args, shape):
    m, t = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(m) == repr(t)
    assert m.padding == t.padding
    assert list(m.state_dict()) == [] and list(m.parameters()) == []
    twin_check(m, t, shape)
    twin_check(m, t, np.random.default_rng(5).standard_normal(shape), copy=False)  # float64


@pytest.mark.parametrize(
    "name", ["ReflectionPad2d", "ReplicationPad2d", "CircularPad2d", "ZeroPad2d"]
)
def test_channels_last_input(name):
    x = np.random.default_rng(1).standard_normal((2, 4, 4, 3)).astype(np.float32)
    m, t = getattr(nn, name)((1, 2, 2, 1)), getattr(torch.nn, name)((1, 2, 2, 1))
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = m(xn.permute(0, 3, 1, 2)), t(xt.permute(0, 3, 1, 2))
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    w = np.random.default_rng(2).standard_normal(ty.shape).astype(np.float32)
    (y * nerve.tensor(w)).sum().backward()
    (ty * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "name,shape,exc",
    [
        ("ReflectionPad1d", (2, 3, 4, 5), NotImplementedError),  # 4D with a 1-d padding
        ("ReflectionPad2d", (4, 5), NotImplementedError),
        ("ReplicationPad1d", (5,), NotImplementedError),
        ("CircularPad1d", (5,), ValueError),
        ("CircularPad2d", (4, 5), ValueError),
    ],
)
def test_wrong_dims_raise_like_torch(name, shape, exc):
    x = np.zeros(shape, np.float32)
    with pytest.raises(exc):
        getattr(torch.nn, name)(1)(torch.from_numpy(x))
    with pytest.raises(exc, match=f"{len(shape)}D"):
        getattr(nn, name)(1)(nerve.tensor(x))


def test_reflection_too_wide_raises():
    with pytest.raises(RuntimeError):
        torch.nn.ReflectionPad1d(4)(torch.zeros(1, 2, 4))
    with pytest.raises(RuntimeError, match="reflect"):
        nn.ReflectionPad1d(4)(nerve.zeros(1, 2, 4))


def test_gradient_counts_each_copy():
    """The gradient of Σy is how often each input element appears in the output."""
    x = nerve.tensor(np.arange(4.0).reshape(1, 1, 4), requires_grad=True)
    nn.ReflectionPad1d((2, 1))(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [1, 2, 3, 1])  # [2 1 | 0 1 2 3 | 2]
    x.grad = None
    nn.ReplicationPad1d((2, 1))(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [3, 1, 1, 2])
    x.grad = None
    nn.CircularPad1d((3, 1))(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [2, 2, 2, 2])
