"""RMSprop against torch.optim.RMSprop: every option, 25 steps."""

import numpy as np
import pytest
import torch
from stepcheck import assert_defaults_like_torch, step_both

import nerve
from nerve import optim

CASES = [
    {},
    {"lr": 0.005, "alpha": 0.9},
    {"lr": 0.005, "eps": 1e-3},
    {"lr": 0.005, "weight_decay": 0.1},
    {"lr": 0.002, "momentum": 0.9},
    {"lr": 0.005, "centered": True},
    {"lr": 0.002, "centered": True, "momentum": 0.8, "weight_decay": 0.05},
    {"lr": 0.005, "maximize": True},
    {"lr": 0.001, "maximize": True, "momentum": 0.5, "alpha": 0.4},
]


@pytest.mark.parametrize("kwargs", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rmsprop_matches_torch(kwargs, dtype):
    step_both(optim.RMSprop, torch.optim.RMSprop, kwargs, dtype=dtype)


@pytest.mark.parametrize("alpha", [0.4, 0.5])
def test_rmsprop_centered_small_alpha_matches_torch_in_float64(alpha):
    # v − ḡ² nearly cancels here, so float32 runs part by the rounding of the gradients
    step_both(
        optim.RMSprop,
        torch.optim.RMSprop,
        {"lr": 0.002, "alpha": alpha, "centered": True},
        dtype=np.float64,
    )


def test_rmsprop_centered_never_takes_sqrt_of_negative():
    # a constant gradient makes v − ḡ² exactly 0, so rounding can push it below 0 (PyTorch
    # turns about half of these weights into NaN); nerve clamps it at 0
    rng = np.random.default_rng(0)
    p = nerve.nn.Parameter(nerve.tensor(rng.standard_normal(1000).astype(np.float32)))
    g = nerve.tensor(rng.standard_normal(1000).astype(np.float32))
    opt = optim.RMSprop([p], lr=0.01, alpha=0.5, centered=True)
    for _ in range(30):
        p.grad = g
        opt.step()
    assert np.isfinite(p.detach().numpy()).all()


def test_rmsprop_state_keys_match_torch():
    p = nerve.nn.Parameter(nerve.tensor([1.0, -2.0]))
    tp = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = optim.RMSprop([p], momentum=0.9, centered=True)
    topt = torch.optim.RMSprop([tp], momentum=0.9, centered=True)
    p.grad, tp.grad = nerve.tensor([0.5, 1.0]), torch.tensor([0.5, 1.0])
    opt.step()
    topt.step()
    assert sorted(opt.state[p]) == sorted(topt.state[tp])
    for key, value in topt.state[tp].items():
        np.testing.assert_allclose(opt.state[p][key].numpy(), value.numpy(), rtol=1e-6)


def test_rmsprop_defaults_match_torch():
    assert_defaults_like_torch(optim.RMSprop, torch.optim.RMSprop)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1}, "Invalid learning rate: -1"),
        ({"eps": -1}, "Invalid epsilon value: -1"),
        ({"momentum": -1}, "Invalid momentum value: -1"),
        ({"weight_decay": -1}, "Invalid weight_decay value: -1"),
        ({"alpha": -1}, "Invalid alpha value: -1"),
    ],
)
def test_rmsprop_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.RMSprop([nerve.nn.Parameter(nerve.zeros(2))], **kwargs)
    with pytest.raises(ValueError, match=message):
        torch.optim.RMSprop([torch.nn.Parameter(torch.zeros(2))], **kwargs)
