"""Adadelta against torch.optim.Adadelta: the trajectory of every option, state_dict layout and
round trip, defaults and argument errors."""

import numpy as np
import pytest
import torch
from resumecheck import assert_resumes_exactly, assert_state_like_torch, losses_both
from stepcheck import assert_defaults_like_torch

import nerve
from nerve import optim

CASES = [
    {},
    {"lr": 0.5},
    {"lr": 0.5, "rho": 0.5},
    {"lr": 0.5, "eps": 1e-3},
    {"lr": 0.5, "weight_decay": 0.1},
    {"lr": 0.5, "maximize": True},
    {"lr": 0.3, "rho": 0.8, "weight_decay": 0.05, "maximize": True},
]


@pytest.mark.parametrize("kwargs", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adadelta_matches_torch(kwargs, dtype):
    losses_both(optim.Adadelta, torch.optim.Adadelta, kwargs, dtype=dtype)


@pytest.mark.parametrize("kwargs", CASES[-2:], ids=str)
def test_adadelta_state_dict_like_torch_and_resumes(kwargs, tmp_path):
    opt, topt = losses_both(optim.Adadelta, torch.optim.Adadelta, kwargs, steps=7)
    assert_state_like_torch(opt, topt)
    assert_resumes_exactly(optim.Adadelta, kwargs, tmp_path=tmp_path)


def test_adadelta_defaults_match_torch():
    assert_defaults_like_torch(optim.Adadelta, torch.optim.Adadelta)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"rho": 1.5}, "Invalid rho value: 1.5"),
        ({"rho": -0.1}, "Invalid rho value: -0.1"),
        ({"eps": -1}, "Invalid epsilon value: -1"),
        ({"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ],
)
def test_adadelta_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Adadelta([nerve.nn.Parameter(nerve.zeros(2))], **kwargs)
    with pytest.raises(ValueError, match=message):
        torch.optim.Adadelta([torch.nn.Parameter(torch.zeros(2))], **kwargs)
