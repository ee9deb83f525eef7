"""NAdam against torch.optim.NAdam: the trajectory of every option, state_dict layout and
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
    {"lr": 0.01},
    {"lr": 0.01, "betas": (0.5, 0.9)},
    {"lr": 0.01, "momentum_decay": 0.05},
    {"lr": 0.01, "eps": 1e-3},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "maximize": True},
    {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
    {"lr": 0.02, "weight_decay": 0.05, "momentum_decay": 0.01, "maximize": True},
]


@pytest.mark.parametrize("kwargs", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nadam_matches_torch(kwargs, dtype):
    losses_both(optim.NAdam, torch.optim.NAdam, kwargs, dtype=dtype)


@pytest.mark.parametrize("kwargs", CASES[-2:], ids=str)
def test_nadam_state_dict_like_torch_and_resumes(kwargs, tmp_path):
    opt, topt = losses_both(optim.NAdam, torch.optim.NAdam, kwargs, steps=7)
    assert_state_like_torch(opt, topt)
    assert_resumes_exactly(optim.NAdam, kwargs, tmp_path=tmp_path)


def test_nadam_defaults_match_torch():
    assert_defaults_like_torch(optim.NAdam, torch.optim.NAdam)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"eps": -1}, "Invalid epsilon value: -1"),
        ({"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
        ({"betas": (0.9, -1.0)}, "Invalid beta parameter at index 1: -1.0"),
        ({"weight_decay": -1}, "Invalid weight_decay value: -1"),
        ({"momentum_decay": -1}, "Invalid momentum_decay value: -1"),
    ],
)
def test_nadam_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.NAdam([nerve.nn.Parameter(nerve.zeros(2))], **kwargs)
    with pytest.raises(ValueError, match=message):
        torch.optim.NAdam([torch.nn.Parameter(torch.zeros(2))], **kwargs)
