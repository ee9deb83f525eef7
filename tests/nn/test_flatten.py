"""nn.Flatten and nn.Unflatten against torch.nn."""

import pytest
import torch
from layercheck import twin_check

import nerve
import nerve.nn as nn


@pytest.mark.parametrize(
    "args,shape",
    [((), (2, 3, 4, 5)), ((0, -1), (2, 3, 4)), ((1, 2), (2, 3, 4, 5)), ((2,), (2, 3, 4, 5))],
)
def test_flatten_against_torch(args, shape):
    m, t = nn.Flatten(*args), torch.nn.Flatten(*args)
    twin_check(m, t, shape)
    assert repr(m) == repr(t)


@pytest.mark.parametrize(
    "dim,sizes,shape",
    [(1, (2, 5), (3, 10)), (-1, (2, 2), (3, 2, 4)), (0, (2, -1), (6, 2)), (1, [3, 1], (2, 3))],
)
def test_unflatten_against_torch(dim, sizes, shape):
    m, t = nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
    twin_check(m, t, shape)
    assert repr(m) == repr(t).replace("[3, 1]", "(3, 1)")


def test_errors():
    with pytest.raises(RuntimeError, match=r"Unflatten.*\(3, 7\)"):
        nn.Unflatten(1, (2, 5))(nerve.ones(3, 7))
    with pytest.raises(TypeError):
        nn.Unflatten(1, 5)
    with pytest.raises(IndexError):
        nn.Flatten(3)(nerve.ones(2, 3))


def test_flatten_then_linear():
    m = nn.Sequential(nn.Flatten(), nn.Linear(12, 2))
    assert m(nerve.ones(5, 3, 2, 2)).shape == (5, 2)
