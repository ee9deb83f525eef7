"""AdamW against torch.optim.AdamW: decoupled weight decay, 25 steps."""

import numpy as np
import pytest
import torch
from stepcheck import step_both

import nerve
from nerve import optim

CASES = [
    {},
    {"lr": 0.01},
    {"lr": 0.01, "weight_decay": 0.3},
    {"lr": 0.01, "weight_decay": 0},
    {"lr": 0.01, "amsgrad": True},
    {"lr": 0.01, "maximize": True, "betas": (0.7, 0.95)},
    {"lr": 0.02, "amsgrad": True, "weight_decay": 0.1, "eps": 1e-4, "maximize": True},
]


@pytest.mark.parametrize("kwargs", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adamw_matches_torch(kwargs, dtype):
    step_both(optim.AdamW, torch.optim.AdamW, kwargs, dtype=dtype)


def test_adamw_default_decay_and_group_keys():
    group = optim.AdamW([nerve.nn.Parameter(nerve.zeros(2))]).param_groups[0]
    tgroup = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))]).param_groups[0]
    assert group["weight_decay"] == 1e-2
    assert group["decoupled_weight_decay"] is True
    assert {k: v for k, v in group.items() if k != "params"} == {
        k: v for k, v in tgroup.items() if k != "params"
    }


def test_adamw_decay_differs_from_adam_l2():
    p1 = nerve.nn.Parameter(nerve.tensor([3.0]))
    p2 = nerve.nn.Parameter(nerve.tensor([3.0]))
    a, b = optim.AdamW([p1], lr=0.1, weight_decay=0.5), optim.Adam([p2], lr=0.1, weight_decay=0.5)
    p1.grad, p2.grad = nerve.tensor([0.0]), nerve.tensor([0.0])
    a.step()
    b.step()
    # decoupled: 3 * (1 - 0.05) then an Adam step on a zero gradient (which moves nothing)
    assert p1.item() == pytest.approx(3 * 0.95)
    # coupled: the decay 1.5 enters the normalised step, which is then ≈ lr
    assert p2.item() == pytest.approx(3 - 0.1, rel=1e-6)


def test_adamw_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        optim.AdamW([nerve.nn.Parameter(nerve.zeros(2))], lr=-0.1)
