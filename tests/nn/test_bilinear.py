"""nn.Bilinear against torch.nn.Bilinear with copied weights; init, repr, keys."""

import math

import numpy as np
import pytest
import torch
from layercheck import load_from_torch

import nerve
import nerve.nn as nn


@pytest.mark.parametrize("lead", [(6,), (2, 3), ()])
@pytest.mark.parametrize("bias", [True, False])
def test_against_torch(lead, bias):
    m, t = nn.Bilinear(3, 4, 5, bias=bias), torch.nn.Bilinear(3, 4, 5, bias=bias)
    load_from_torch(m, t)
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(lead + (k,)).astype(np.float32) for k in (3, 4))
    xa, xb = nerve.tensor(a, requires_grad=True), nerve.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    y, ty = m(xa, xb), t(ta, tb)
    assert y.shape == tuple(ty.shape) and y.dtype == nerve.float32
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    dy = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    y.backward(nerve.tensor(dy))
    ty.backward(torch.from_numpy(dy))
    for n, tt in ((xa, ta), (xb, tb)):
        np.testing.assert_allclose(n.grad.numpy(), tt.grad.numpy(), rtol=1e-4, atol=1e-5)
    tp = dict(t.named_parameters())
    for name, p in m.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), tp[name].grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name
        )


def test_keys_repr_shapes_dtype():
    m, t = nn.Bilinear(2, 3, 4), torch.nn.Bilinear(2, 3, 4)
    assert list(m.state_dict()) == list(t.state_dict()) == ["weight", "bias"]
    assert m.weight.shape == (4, 2, 3) and m.bias.shape == (4,)
    assert repr(m) == repr(t)
    assert repr(nn.Bilinear(2, 3, 4, bias=False)) == repr(torch.nn.Bilinear(2, 3, 4, bias=False))
    assert nn.Bilinear(2, 3, 4, bias=False).bias is None
    m64 = nn.Bilinear(2, 3, 4, dtype=nerve.float64)
    assert (
        m64(nerve.ones(1, 2, dtype=nerve.float64), nerve.ones(1, 3, dtype=nerve.float64)).dtype
        == nerve.float64
    )


def test_default_init_is_uniform_in_one_over_sqrt_in1():
    m = nn.Bilinear(100, 30, 40)
    bound = 1 / math.sqrt(100)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert abs(w.mean()) < 0.01 * bound and np.abs(w).max() > 0.99 * bound
