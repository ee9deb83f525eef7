"""SequentialLR and ChainedScheduler against PyTorch's."""

import pytest
import torch
from stepcheck import optimizer_pair, run_schedules

from nerve.optim import lr_scheduler as S

T = torch.optim.lr_scheduler


@pytest.mark.parametrize("second", ["ExponentialLR", "CosineAnnealingLR", "StepLR"])
def test_sequential_warmup_then_schedule_matches_torch(second):
    kwargs = {
        "ExponentialLR": {"gamma": 0.9},
        "CosineAnnealingLR": {"T_max": 12},
        "StepLR": {"step_size": 4},
    }[second]
    opt, topt = optimizer_pair()
    sched = S.SequentialLR(
        opt,
        [S.LinearLR(opt, 0.2, total_iters=5), getattr(S, second)(opt, **kwargs)],
        milestones=[5],
    )
    tsched = T.SequentialLR(
        topt,
        [T.LinearLR(topt, 0.2, total_iters=5), getattr(T, second)(topt, **kwargs)],
        milestones=[5],
    )
    run_schedules(sched, tsched, opt, topt)


def test_sequential_three_schedulers_matches_torch():
    opt, topt = optimizer_pair()
    sched = S.SequentialLR(
        opt,
        [S.ConstantLR(opt, 0.5, 3), S.ExponentialLR(opt, 0.8), S.CosineAnnealingLR(opt, 10, 0.001)],
        milestones=[4, 12],
    )
    tsched = T.SequentialLR(
        topt,
        [
            T.ConstantLR(topt, 0.5, 3),
            T.ExponentialLR(topt, 0.8),
            T.CosineAnnealingLR(topt, 10, 0.001),
        ],
        milestones=[4, 12],
    )
    run_schedules(sched, tsched, opt, topt)


def test_sequential_rejects_bad_arguments():
    opt, _ = optimizer_pair()
    other, _ = optimizer_pair()
    with pytest.raises(ValueError, match="number of milestone"):
        S.SequentialLR(opt, [S.StepLR(opt, 2), S.StepLR(opt, 3)], milestones=[2, 4])
    with pytest.raises(ValueError, match="same optimizer"):
        S.SequentialLR(opt, [S.StepLR(opt, 2), S.StepLR(other, 3)], milestones=[2])


def test_chained_scheduler_matches_torch():
    opt, topt = optimizer_pair()
    sched = S.ChainedScheduler([S.ConstantLR(opt, 0.3, 4), S.ExponentialLR(opt, 0.9)])
    tsched = T.ChainedScheduler([T.ConstantLR(topt, 0.3, 4), T.ExponentialLR(topt, 0.9)])
    run_schedules(sched, tsched, opt, topt, steps=20)
    state = sched.state_dict()
    assert sorted(state) == sorted(tsched.state_dict())
    assert len(state["_schedulers"]) == 2


def test_chained_scheduler_rejects_plateau():
    opt, _ = optimizer_pair()
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        S.ChainedScheduler([S.ReduceLROnPlateau(opt)])
