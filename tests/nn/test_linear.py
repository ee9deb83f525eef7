"""nn.Linear and nn.Identity against torch.nn, default initialisation, errors."""

import math

import numpy as np
import pytest
import torch
from layercheck import twin_check

import nerve
import nerve.nn as nn


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (3,), (1, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_against_torch(shape, bias):
    twin_check(nn.Linear(3, 4, bias=bias), torch.nn.Linear(3, 4, bias=bias), shape)


def test_shapes_keys_repr_and_dtype():
    m = nn.Linear(3, 4)
    assert m.weight.shape == (4, 3) and m.bias.shape == (4,)
    assert m.weight.dtype == nerve.float32 and isinstance(m.weight, nn.Parameter)
    assert list(m.state_dict()) == ["weight", "bias"]
    assert repr(m) == repr(torch.nn.Linear(3, 4))
    assert repr(nn.Linear(3, 4, bias=False)) == repr(torch.nn.Linear(3, 4, bias=False))
    assert nn.Linear(3, 4, bias=False).bias is None
    assert nn.Linear(2, 2, dtype=nerve.float64).weight.dtype == nerve.float64
    assert nn.Linear(3, 4)(nerve.ones(2, 3)).dtype == nerve.float32


def test_default_init_bounds_and_spread():
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-a, a) has standard deviation a/√3
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert abs(w.mean()) < 0.01 * bound and np.abs(w).max() > 0.99 * bound
    assert abs(b.std() - bound / math.sqrt(3)) < 0.1 * bound


def test_reset_parameters_is_reproducible():
    nerve.manual_seed(7)
    a = nn.Linear(5, 6)
    nerve.manual_seed(7)
    b = nn.Linear(5, 6)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    before = a.weight.detach().numpy().copy()
    a.reset_parameters()
    assert not np.array_equal(before, a.weight.detach().numpy())


def test_bad_input_error_names_the_layer():
    with pytest.raises(RuntimeError) as err:
        nn.Linear(3, 4)(nerve.ones(2, 5))
    assert str(err.value) == (
        "Linear(in_features=3, out_features=4): expected input with "
        "last dimension 3, got shape (2, 5)"
    )
    with pytest.raises(RuntimeError, match="Linear"):
        nn.Linear(3, 4)(nerve.tensor(1.0))


def test_identity():
    m = nn.Identity(54, unused="x")
    x = nerve.randn(2, 3)
    assert m(x) is x and repr(m) == "Identity()" and not list(m.parameters())
