"""OneCycleLR against PyTorch's: lr and momentum (or Adam's beta1) at every step."""

import pytest
import torch

import nerve
from nerve import optim
from nerve.optim import lr_scheduler as S

T = torch.optim.lr_scheduler

CASES = [
    {"max_lr": 0.5, "total_steps": 40},
    {"max_lr": [0.5, 1.0], "epochs": 4, "steps_per_epoch": 10, "pct_start": 0.25},
    {"max_lr": 0.5, "total_steps": 40, "anneal_strategy": "linear", "three_phase": True},
    {
        "max_lr": 0.3,
        "total_steps": 40,
        "div_factor": 10.0,
        "final_div_factor": 100.0,
        "base_momentum": 0.8,
        "max_momentum": [0.9, 0.99],
    },
    {"max_lr": 0.3, "total_steps": 40, "cycle_momentum": False},
]


def _pair(name):
    p = [nerve.nn.Parameter(nerve.zeros(2)) for _ in range(2)]
    tp = [torch.nn.Parameter(torch.zeros(2)) for _ in range(2)]
    kwargs = {"momentum": 0.9} if name == "SGD" else {}
    return (
        getattr(optim, name)([{"params": [x]} for x in p], **kwargs),
        getattr(torch.optim, name)([{"params": [x]} for x in tp], **kwargs),
    )


def _momenta(opt):
    return [g["momentum"] if "momentum" in g else g["betas"][0] for g in opt.param_groups]


@pytest.mark.parametrize("name", ["SGD", "Adam"])
@pytest.mark.parametrize("kwargs", CASES, ids=str)
def test_one_cycle_matches_torch(kwargs, name):
    opt, topt = _pair(name)
    sched, tsched = S.OneCycleLR(opt, **kwargs), T.OneCycleLR(topt, **kwargs)
    for i in range(40):
        lrs = [g["lr"] for g in opt.param_groups]
        assert lrs == pytest.approx([g["lr"] for g in topt.param_groups], rel=1e-12), i
        assert _momenta(opt) == pytest.approx(_momenta(topt), rel=1e-12), i
        opt.step()
        topt.step()
        if i < 39:
            sched.step()
            tsched.step()
    assert sorted(sched.state_dict()) == sorted(tsched.state_dict())


def test_one_cycle_rejects_bad_arguments_and_overrun():
    opt, _ = _pair("SGD")
    with pytest.raises(ValueError, match="either total_steps OR"):
        S.OneCycleLR(opt, 0.1)
    with pytest.raises(ValueError, match="positive integer total_steps"):
        S.OneCycleLR(opt, 0.1, total_steps=0)
    with pytest.raises(ValueError, match="pct_start"):
        S.OneCycleLR(opt, 0.1, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="anneal_strategy"):
        S.OneCycleLR(opt, 0.1, total_steps=10, anneal_strategy="step")
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        S.OneCycleLR(opt, [0.1], total_steps=10)
    adagrad = optim.Adagrad([nerve.nn.Parameter(nerve.zeros(2))])
    with pytest.raises(ValueError, match="optimizer must support momentum"):
        S.OneCycleLR(adagrad, 0.1, total_steps=10)
    sched = S.OneCycleLR(opt, 0.1, total_steps=3)
    opt.step()
    for _ in range(2):
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()
        sched.step()
