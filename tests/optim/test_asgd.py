"""ASGD against torch.optim.ASGD: the trajectory of every option, state_dict layout and
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
    {"lr": 0.05},
    {"lr": 0.05, "lambd": 0.05, "alpha": 0.5},
    {"lr": 0.05, "t0": 4},
    {"lr": 0.05, "weight_decay": 0.1},
    {"lr": 0.05, "maximize": True},
    {"lr": 0.05, "lambd": 0.01, "t0": 3, "weight_decay": 0.05, "maximize": True},
]


@pytest.mark.parametrize("kwargs", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_asgd_matches_torch(kwargs, dtype):
    losses_both(optim.ASGD, torch.optim.ASGD, kwargs, dtype=dtype)


@pytest.mark.parametrize("kwargs", CASES[-2:], ids=str)
def test_asgd_state_dict_like_torch_and_resumes(kwargs, tmp_path):
    opt, topt = losses_both(optim.ASGD, torch.optim.ASGD, kwargs, steps=7)
    assert_state_like_torch(opt, topt)
    assert_resumes_exactly(optim.ASGD, kwargs, tmp_path=tmp_path)


def test_asgd_defaults_match_torch():
    assert_defaults_like_torch(optim.ASGD, torch.optim.ASGD)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ],
)
def test_asgd_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.ASGD([nerve.nn.Parameter(nerve.zeros(2))], **kwargs)
    with pytest.raises(ValueError, match=message):
        torch.optim.ASGD([torch.nn.Parameter(torch.zeros(2))], **kwargs)
