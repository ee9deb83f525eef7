"""Rprop against torch.optim.Rprop: the trajectory of every option, state_dict layout and
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
    {"lr": 0.05, "etas": (0.3, 1.5)},
    {"lr": 0.05, "step_sizes": (1e-3, 0.08)},
    {"lr": 0.05, "maximize": True},
    {"lr": 0.1, "etas": (0.4, 1.1), "step_sizes": (1e-2, 0.2), "maximize": True},
]


@pytest.mark.parametrize("kwargs", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rprop_matches_torch(kwargs, dtype):
    losses_both(optim.Rprop, torch.optim.Rprop, kwargs, dtype=dtype)


@pytest.mark.parametrize("kwargs", CASES[-2:], ids=str)
def test_rprop_state_dict_like_torch_and_resumes(kwargs, tmp_path):
    opt, topt = losses_both(optim.Rprop, torch.optim.Rprop, kwargs, steps=7)
    assert_state_like_torch(opt, topt)
    assert_resumes_exactly(optim.Rprop, kwargs, tmp_path=tmp_path)


def test_rprop_defaults_match_torch():
    assert_defaults_like_torch(optim.Rprop, torch.optim.Rprop)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"etas": (1.5, 2)}, "Invalid eta values: 1.5, 2"),
        ({"etas": (0.5, 0.9)}, "Invalid eta values: 0.5, 0.9"),
        ({"etas": (0, 1.2)}, "Invalid eta values: 0, 1.2"),
    ],
)
def test_rprop_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Rprop([nerve.nn.Parameter(nerve.zeros(2))], **kwargs)
    with pytest.raises(ValueError, match=message):
        torch.optim.Rprop([torch.nn.Parameter(torch.zeros(2))], **kwargs)
