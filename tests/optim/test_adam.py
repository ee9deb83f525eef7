"""Adam against torch.optim.Adam: every option, 25 steps from the same weights."""

import numpy as np
import pytest
import torch
from stepcheck import step_both

import nerve
from nerve import optim

CASES = [
    {},
    {"lr": 0.01},
    {"lr": 0.01, "betas": (0.8, 0.99)},
    {"lr": 0.01, "betas": (0.3, 0.9)},
    {"lr": 0.01, "eps": 1e-3},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "amsgrad": True},
    {"lr": 0.01, "maximize": True},
    {"lr": 0.02, "amsgrad": True, "weight_decay": 0.05, "maximize": True},
    {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
]


@pytest.mark.parametrize("kwargs", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_matches_torch(kwargs, dtype):
    step_both(optim.Adam, torch.optim.Adam, kwargs, dtype=dtype)


def test_adam_param_groups_with_own_options():
    spec = [([0, 2], {"lr": 0.03, "amsgrad": True}), ([1, 3], {"betas": (0.5, 0.9)})]
    step_both(optim.Adam, torch.optim.Adam, {"lr": 0.01}, spec=spec)


def test_adam_state_matches_torch_layout():
    p = nerve.nn.Parameter(nerve.tensor([1.0, -2.0]))
    tp = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt, topt = optim.Adam([p], amsgrad=True), torch.optim.Adam([tp], amsgrad=True)
    for _ in range(3):
        p.grad, tp.grad = nerve.tensor([0.5, 1.0]), torch.tensor([0.5, 1.0])
        opt.step()
        topt.step()
    state, tstate = opt.state[p], topt.state[tp]
    assert list(state) == list(tstate)
    for key, value in tstate.items():
        assert isinstance(state[key], nerve.Tensor)
        assert state[key].dtype == np.float32 and state[key].shape == tuple(value.shape)
        np.testing.assert_allclose(state[key].numpy(), value.numpy(), rtol=1e-6)
    assert state["step"].item() == 3.0


def test_adam_defaults_match_torch():
    p = nerve.nn.Parameter(nerve.zeros(2))
    group = optim.Adam([p]).param_groups[0]
    tgroup = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))]).param_groups[0]
    assert {k: v for k, v in group.items() if k != "params"} == {
        k: v for k, v in tgroup.items() if k != "params"
    }


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
        ({"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
        ({"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
        ({"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ],
)
def test_adam_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Adam([nerve.nn.Parameter(nerve.zeros(2))], **kwargs)
    with pytest.raises(ValueError, match=message):
        torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], **kwargs)
