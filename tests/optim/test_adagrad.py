"""Adagrad against torch.optim.Adagrad: every option, 25 steps."""

import numpy as np
import pytest
import torch
from stepcheck import assert_defaults_like_torch, step_both

import nerve
from nerve import optim

CASES = [
    {},
    {"lr": 0.05},
    {"lr": 0.05, "lr_decay": 0.1},
    {"lr": 0.05, "weight_decay": 0.1},
    {"lr": 0.05, "initial_accumulator_value": 0.5},
    {"lr": 0.05, "eps": 1e-3},
    {"lr": 0.05, "maximize": True},
    {
        "lr": 0.1,
        "lr_decay": 0.05,
        "weight_decay": 0.05,
        "initial_accumulator_value": 0.1,
        "maximize": True,
    },
]


@pytest.mark.parametrize("kwargs", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adagrad_matches_torch(kwargs, dtype):
    step_both(optim.Adagrad, torch.optim.Adagrad, kwargs, dtype=dtype)


def test_adagrad_state_made_at_construction():
    p = nerve.nn.Parameter(nerve.zeros(3))
    tp = torch.nn.Parameter(torch.zeros(3))
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    topt = torch.optim.Adagrad([tp], initial_accumulator_value=0.25)
    assert list(opt.state[p]) == list(topt.state[tp]) == ["step", "sum"]
    np.testing.assert_array_equal(opt.state[p]["sum"].numpy(), topt.state[tp]["sum"].numpy())
    assert opt.state[p]["step"].item() == 0.0


def test_adagrad_defaults_match_torch():
    assert_defaults_like_torch(optim.Adagrad, torch.optim.Adagrad)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"lr_decay": -1}, "Invalid lr_decay value: -1"),
        ({"weight_decay": -1}, "Invalid weight_decay value: -1"),
        ({"initial_accumulator_value": -1}, "Invalid initial_accumulator_value value: -1"),
        ({"eps": -1}, "Invalid epsilon value: -1"),
    ],
)
def test_adagrad_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Adagrad([nerve.nn.Parameter(nerve.zeros(2))], **kwargs)
    with pytest.raises(ValueError, match=message):
        torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(2))], **kwargs)
