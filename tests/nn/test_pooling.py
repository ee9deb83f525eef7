import numpy as np
import pytest
import torch

import nerve
from nerve import nn

X = np.maximum(np.random.default_rng(0).standard_normal((2, 3, 9, 8)), 0).astype(np.float32)

PAIRS = [
    ("MaxPool2d", dict(kernel_size=2)),
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("MaxPool2d", dict(kernel_size=(2, 3), stride=1, dilation=(2, 1))),
    ("AvgPool2d", dict(kernel_size=2)),
    (
        "AvgPool2d",
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    ),
    ("AvgPool2d", dict(kernel_size=3, padding=1, divisor_override=3)),
    ("AdaptiveAvgPool2d", dict(output_size=(3, 5))),
    ("AdaptiveAvgPool2d", dict(output_size=1)),
    ("AdaptiveMaxPool2d", dict(output_size=(4, 3))),
    ("AdaptiveMaxPool2d", dict(output_size=1)),
    ("Upsample", dict(scale_factor=2)),
    ("Upsample", dict(size=(11, 5))),
    ("UpsamplingNearest2d", dict(scale_factor=3)),
]
PAIRS_1D = [
    ("MaxPool1d", dict(kernel_size=3, stride=2, padding=1)),
    ("AvgPool1d", dict(kernel_size=2)),
    ("AvgPool1d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("AdaptiveAvgPool1d", dict(output_size=3)),
    ("AdaptiveMaxPool1d", dict(output_size=5)),
    ("Upsample", dict(scale_factor=2)),
]


def _compare(name, kw, x):
    layer, tlayer = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = layer(xn), tlayer(xt)
    assert y.shape == tuple(yt.shape) and y.dtype == nerve.float32
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
    (y * nerve.tensor(g)).sum().backward()
    (yt * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert list(layer.state_dict()) == [] and repr(layer) == repr(tlayer)


@pytest.mark.parametrize("name,kw", PAIRS, ids=str)
def test_2d_layers_match_torch(name, kw):
    _compare(name, kw, X)


@pytest.mark.parametrize("name,kw", PAIRS_1D, ids=str)
def test_1d_layers_match_torch(name, kw):
    _compare(name, kw, X[:, :, 0])


def test_max_pool_return_indices():
    y, idx = nn.MaxPool2d(2, return_indices=True)(nerve.from_numpy(X))
    ty, tidx = torch.nn.MaxPool2d(2, return_indices=True)(torch.from_numpy(X))
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_stochastic_pool2d_modes():
    layer = nn.StochasticPool2d(2, generator=nerve.Generator().manual_seed(0))
    x = nerve.from_numpy(X)
    y = layer(x)
    windows = (
        X[:, :, :8].reshape(2, 3, 4, 2, 4, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 3, 4, 4, 4)
    )
    assert y.shape == (2, 3, 4, 4)
    # each training output is one of its window's values
    assert np.all(np.any(windows == y.numpy()[..., None], axis=-1))
    layer.eval()
    e = layer(x).numpy()
    s = windows.sum(-1)
    np.testing.assert_allclose(
        e, np.where(s > 0, (windows**2).sum(-1) / np.where(s > 0, s, 1), 0), rtol=1e-6
    )
    np.testing.assert_array_equal(layer(x).numpy(), e)


def test_pool_error_names_layer_and_sizes():
    with pytest.raises(RuntimeError, match=r"max_pool2d: Given input size: \(3, 2, 2\)"):
        nn.MaxPool2d(3)(nerve.randn(1, 3, 2, 2))
