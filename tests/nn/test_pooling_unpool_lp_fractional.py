"""MaxUnpool, LPPool and FractionalMaxPool2d against their PyTorch twins: values,
gradients, state_dict, repr and errors."""

import numpy as np
import pytest
import torch
from layercheck import twin_check

import nerve
import nerve.nn as nn

rng = np.random.default_rng(0)


@pytest.mark.parametrize(
    "args,shape",
    [
        (dict(norm_type=2, kernel_size=2), (2, 3, 6, 8)),
        (dict(norm_type=3, kernel_size=(2, 3), stride=(2, 1), ceil_mode=True), (2, 3, 7, 8)),
        (dict(norm_type=float("inf"), kernel_size=3, stride=2), (1, 2, 7, 7)),
    ],
)
def test_lppool2d(args, shape):
    x = (np.abs(rng.standard_normal(shape)) + 0.1).astype(np.float32)
    m, t = nn.LPPool2d(**args), torch.nn.LPPool2d(**args)
    twin_check(m, t, x)
    assert repr(m) == repr(t)


def test_lppool1d():
    x = (np.abs(rng.standard_normal((2, 3, 11))) + 0.1).astype(np.float32)
    m, t = nn.LPPool1d(1.5, 3, 2, ceil_mode=True), torch.nn.LPPool1d(1.5, 3, 2, ceil_mode=True)
    twin_check(m, t, x)
    assert repr(m) == repr(t)
    x64 = nerve.tensor(x.astype(np.float64))
    assert m(x64).dtype == nerve.float64


@pytest.mark.parametrize("dims", [1, 2])
def test_max_unpool_roundtrip(dims):
    shape = (2, 3, 10) if dims == 1 else (2, 3, 6, 8)
    x = rng.standard_normal(shape).astype(np.float32)
    pool, unpool = getattr(nn, f"MaxPool{dims}d"), getattr(nn, f"MaxUnpool{dims}d")
    tpool, tunpool = getattr(torch.nn, f"MaxPool{dims}d"), getattr(torch.nn, f"MaxUnpool{dims}d")
    p, u = pool(2, return_indices=True), unpool(2)
    tp, tu = tpool(2, return_indices=True), tunpool(2)
    assert repr(u) == repr(tu) and list(u.state_dict()) == []
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    size = shape[-dims:][:0] + tuple(n + 1 for n in shape[-dims:])
    y, yt = u(*p(xn), output_size=size), tu(*tp(xt), output_size=size)
    np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
    dy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    y.backward(nerve.tensor(dy))
    yt.backward(torch.from_numpy(dy))
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy())


def test_max_unpool_repr_args():
    assert repr(nn.MaxUnpool2d((2, 3), stride=1, padding=(0, 1))) == repr(
        torch.nn.MaxUnpool2d((2, 3), stride=1, padding=(0, 1))
    )
    assert repr(nn.MaxUnpool1d(3, 2, 1)) == repr(torch.nn.MaxUnpool1d(3, 2, 1))


@pytest.mark.parametrize(
    "kw",
    [dict(output_size=(4, 5)), dict(output_ratio=0.6), dict(output_size=3, return_indices=True)],
)
def test_fractional_max_pool(kw):
    x = rng.standard_normal((2, 3, 9, 10)).astype(np.float32)
    s = rng.random((2, 3, 2)).astype(np.float32)
    m = nn.FractionalMaxPool2d(3, _random_samples=nerve.tensor(s), **kw)
    t = torch.nn.FractionalMaxPool2d(3, _random_samples=torch.from_numpy(s), **kw)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict()) == ["_random_samples"]
    y, yt = m(nerve.tensor(x)), t(torch.from_numpy(x))
    if kw.get("return_indices"):
        np.testing.assert_array_equal(y[1].numpy(), yt[1].numpy())
        y, yt = y[0], yt[0]
    np.testing.assert_array_equal(y.numpy(), yt.numpy())
    assert list(nn.FractionalMaxPool2d(2, output_size=2).state_dict()) == []


@pytest.mark.parametrize("kw", [{}, dict(output_size=2, output_ratio=0.5), dict(output_ratio=1.5)])
def test_fractional_max_pool_errors(kw):
    with pytest.raises(ValueError):
        torch.nn.FractionalMaxPool2d(3, **kw)
    with pytest.raises(ValueError):
        nn.FractionalMaxPool2d(3, **kw)
