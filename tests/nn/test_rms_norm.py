"""nn.RMSNorm against torch.nn.RMSNorm: copied weights, outputs and gradients, defaults."""

import numpy as np
import pytest
import torch
from layercheck import twin_check

import nerve
from nerve import nn


@pytest.mark.parametrize(
    "shape,norm,kw",
    [
        ((3, 4), 4, {}),
        ((2, 3, 4), (3, 4), {"eps": 1e-3}),
        ((2, 5), [5], {"elementwise_affine": False}),
    ],
)
def test_rmsnorm_against_torch(shape, norm, kw):
    tm = torch.nn.RMSNorm(norm, **kw)
    if tm.weight is not None:
        with torch.no_grad():
            tm.weight.uniform_(0.5, 1.5)
    twin_check(nn.RMSNorm(norm, **kw), tm, shape)


def test_rmsnorm_defaults_repr_state_dict():
    m, tm = nn.RMSNorm(4), torch.nn.RMSNorm(4)
    assert repr(m) == repr(tm) == "RMSNorm((4,), eps=None, elementwise_affine=True)"
    assert list(m.state_dict()) == ["weight"] and m.eps is None
    np.testing.assert_array_equal(m.weight.detach().numpy(), 1)
    off = nn.RMSNorm([2, 3], eps=0.1, elementwise_affine=False)
    assert repr(off) == repr(torch.nn.RMSNorm([2, 3], eps=0.1, elementwise_affine=False))
    assert off.weight is None and list(off.state_dict()) == []
    assert nn.RMSNorm(3, dtype=nerve.float64).weight.dtype == np.float64


def test_rmsnorm_float64_and_shape_error():
    m = nn.RMSNorm(3).double()
    assert m(nerve.randn(2, 3).double()).dtype == np.float64
    with pytest.raises(RuntimeError, match="rms_norm"):
        m(nerve.randn(2, 4).double())
