"""The added activation layers against their torch.nn twins: outputs and gradients, reprs,
attributes, in-place behaviour and the implicit softmax dimension."""

import warnings

import numpy as np
import pytest
import torch
from layercheck import twin_check

import nerve
import nerve.nn as nn

SPECS = [  # (name, args, kwargs)
    ("Softsign", (), {}),
    ("Tanhshrink", (), {}),
    ("Softshrink", (), {}),
    ("Softshrink", (1.2,), {}),
    ("Hardshrink", (), {}),
    ("Hardshrink", (), {"lambd": 0.8}),
    ("Threshold", (0.1, 20.0), {}),
    ("Threshold", (-0.5, 2), {"inplace": True}),
    ("GLU", (), {}),
    ("GLU", (1,), {}),
    ("CELU", (), {}),
    ("CELU", (0.5,), {"inplace": True}),
    ("Hardsigmoid", (), {}),
    ("Hardsigmoid", (True,), {}),
    ("Hardswish", (), {}),
    ("Hardswish", (), {"inplace": True}),
    ("Softmin", (1,), {}),
    ("Softmin", (), {"dim": -1}),
    ("Softmax2d", (), {}),
]
ATTRS = ["lambd", "threshold", "value", "inplace", "dim", "alpha"]


def _pair(name, args, kwargs):
    return getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


def _out_of_place(name, args, kwargs):
    """The pair without ``inplace`` (in-place on a leaf that requires grad is refused)."""
    n_pos = {"Threshold": 2, "CELU": 1, "Hardsigmoid": 0, "Hardswish": 0}.get(name, 1)
    return _pair(name, args[:n_pos], {k: v for k, v in kwargs.items() if k != "inplace"})


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s[0]}{s[1]}{s[2]}")
def test_against_torch(spec):
    ours, theirs = _out_of_place(*spec)
    x = (np.random.default_rng(0).standard_normal((2, 4, 3, 2)) * 3).astype(np.float32)
    x[np.abs(x) < 0.05] = 0.3  # no input exactly on a kink
    twin_check(ours, theirs, x)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s[0]}{s[1]}{s[2]}")
def test_repr_attributes_and_state_dict(spec):
    ours, theirs = _pair(*spec)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == [] == list(theirs.state_dict())
    assert list(ours.parameters()) == []
    for attr in ATTRS:
        assert hasattr(ours, attr) == hasattr(theirs, attr), attr
        if hasattr(theirs, attr):
            assert getattr(ours, attr) == getattr(theirs, attr), attr


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s[0]}{s[1]}{s[2]}")
def test_float64_stays_float64(spec):
    ours, _ = _out_of_place(*spec)
    x = nerve.randn(2, 4, 6, dtype=nerve.float64, requires_grad=True)
    y = ours(x)
    y.sum().backward()
    assert y.dtype == nerve.float64 and x.grad.dtype == nerve.float64
    assert isinstance(x.grad, nerve.Tensor)


@pytest.mark.parametrize(
    "name,args",
    [("Threshold", (0.0, -1.0)), ("CELU", (0.5,)), ("Hardsigmoid", ()), ("Hardswish", ())],
)
def test_inplace_like_torch_without_a_graph(name, args):
    data = np.array([-4.0, -1.0, 0.5, 4.0], np.float32)
    x, xt = nerve.tensor(data), torch.tensor(data)
    y = getattr(nn, name)(*args, inplace=True)(x)
    yt = getattr(torch.nn, name)(*args, inplace=True)(xt)
    assert y is x and yt is xt
    np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-6)
    # in a graph (on a non-leaf, as torch requires) values and gradients are torch's
    leaf, tleaf = nerve.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out = getattr(nn, name)(*args, inplace=True)(leaf * 3)
    tout = getattr(torch.nn, name)(*args, inplace=True)(tleaf * 3)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(leaf.grad.numpy(), tleaf.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax", "Softmin"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (2, 3, 4, 2)])
def test_implicit_dim_follows_torch(name, shape):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that the implicit choice is deprecated
        expected = getattr(torch.nn, name)()(torch.from_numpy(x)).numpy()
    ours = getattr(nn, name)()
    assert ours.dim is None and repr(ours) == f"{name}(dim=None)"
    np.testing.assert_allclose(ours(nerve.tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-7)


def test_softmax2d_channels_and_shape_errors():
    x = np.random.default_rng(2).standard_normal((3, 4, 5)).astype(np.float32)
    y = nn.Softmax2d()(nerve.tensor(x)).numpy()
    np.testing.assert_allclose(y.sum(0), np.ones((4, 5)), rtol=1e-6)
    for shape in [(3, 4), (1, 2, 3, 4, 5)]:
        with pytest.raises(
            ValueError, match=f"Softmax2d: expected input to be 3D or 4D, got {len(shape)}D"
        ):
            nn.Softmax2d()(nerve.ones(*shape))


def test_layer_errors_match_torch():
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        nn.GLU()(nerve.ones(2, 3))
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        torch.nn.GLU()(torch.ones(2, 3))
    with pytest.raises(RuntimeError, match="alpha cannot be 0"):
        nn.CELU(0.0)(nerve.ones(2))
    with pytest.raises(RuntimeError, match="lambda"):
        nn.Softshrink(-1.0)(nerve.ones(2))


def test_in_a_sequential_trains():
    net = nn.Sequential(
        nn.Linear(4, 8), nn.Hardswish(), nn.Linear(8, 6), nn.GLU(), nn.Softsign(), nn.Linear(3, 2)
    )
    x = nerve.randn(16, 4)
    net(x).pow(2).mean().backward()
    assert all(p.grad is not None for p in net.parameters())
