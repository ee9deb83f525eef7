"""SGD against torch.optim.SGD: every option, 25 steps from the same weights."""

import numpy as np
import pytest
import torch
from stepcheck import step_both

import nerve
from nerve import optim

CASES = [
    {},
    {"lr": 0.1},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.5},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    {"lr": 0.1, "weight_decay": 0.1},
    {"lr": 0.05, "maximize": True},
    {"lr": 0.02, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05, "maximize": True},
    {"lr": 0.05, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.2},
]


@pytest.mark.parametrize("kwargs", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_matches_torch(kwargs, dtype):
    step_both(optim.SGD, torch.optim.SGD, kwargs, dtype=dtype)


def test_sgd_param_groups_with_own_options():
    spec = [([0, 1], {"lr": 0.2, "momentum": 0.9}), ([2, 3], {"weight_decay": 0.1})]
    step_both(optim.SGD, torch.optim.SGD, {"lr": 0.05}, spec=spec)


def test_sgd_defaults_match_torch():
    p = nerve.nn.Parameter(nerve.zeros(2))
    group = optim.SGD([p]).param_groups[0]
    tgroup = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))]).param_groups[0]
    assert group["lr"] == 1e-3
    assert {k: v for k, v in group.items() if k != "params"} == {
        k: v for k, v in tgroup.items() if k != "params"
    }


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"momentum": -0.5}, "Invalid momentum value: -0.5"),
        ({"weight_decay": -1e-3}, "Invalid weight_decay value: -0.001"),
        ({"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
        ({"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov momentum requires"),
    ],
)
def test_sgd_rejects_bad_arguments(kwargs, message):
    p = nerve.nn.Parameter(nerve.zeros(2))
    with pytest.raises(ValueError, match=message):
        optim.SGD([p], **kwargs)
    with pytest.raises(ValueError, match=message):
        torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], **kwargs)


def test_sgd_momentum_buffer_state():
    p = nerve.nn.Parameter(nerve.tensor([1.0, 2.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = nerve.tensor([1.0, -1.0])
    opt.step()
    buf = opt.state[p]["momentum_buffer"]
    assert isinstance(buf, nerve.Tensor)
    assert buf.tolist() == [1.0, -1.0]
    assert buf._data is not p.grad._data
    p.grad = nerve.tensor([0.0, 0.0])
    opt.step()
    assert buf.tolist() == pytest.approx([0.9, -0.9])
    assert p.tolist() == pytest.approx([1 - 0.1 - 0.09, 2 + 0.1 + 0.09])
