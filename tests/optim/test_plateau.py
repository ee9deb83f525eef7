"""ReduceLROnPlateau against PyTorch's: the lr of every step for a metric sequence."""

import numpy as np
import pytest
import torch
from stepcheck import lrs, optimizer_pair, resumed_lrs, run_schedules

import nerve
from nerve.optim import lr_scheduler as S

T = torch.optim.lr_scheduler


PLATEAU = [
    {},
    {"patience": 2},
    {"mode": "max", "patience": 1, "factor": 0.5},
    {"patience": 1, "threshold": 0.1, "threshold_mode": "abs", "cooldown": 2},
    {"patience": 0, "factor": 0.5, "min_lr": [0.02, 0.05]},
    {"patience": 0, "factor": 0.9, "eps": 0.05},
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=str)
def test_reduce_on_plateau_matches_torch(kwargs):
    opt, topt = optimizer_pair()
    sched = S.ReduceLROnPlateau(opt, **kwargs)
    tsched = T.ReduceLROnPlateau(topt, **kwargs)
    values = np.random.default_rng(0).standard_normal(40)

    def metric(i):
        return float(1.0 / (i + 1) + 0.05 * values[i]) if i < 12 else float(values[i])

    run_schedules(sched, tsched, opt, topt, steps=40, metric=metric)
    assert lrs(opt) != [0.1, 0.2] or kwargs.get("eps") == 0.05
    assert sched.best == tsched.best and sched.num_bad_epochs == tsched.num_bad_epochs


def test_reduce_on_plateau_accepts_a_tensor_metric_and_rejects_bad_options():
    opt, _ = optimizer_pair()
    sched = S.ReduceLROnPlateau(opt, patience=0)
    sched.step(nerve.tensor(1.0))
    sched.step(nerve.tensor(2.0))
    assert lrs(opt) == pytest.approx([0.01, 0.02])
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        S.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="threshold mode x is unknown!"):
        S.ReduceLROnPlateau(opt, threshold_mode="x")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        S.ReduceLROnPlateau(opt, min_lr=[0.1])


def test_resumed_plateau_continues_exactly():
    def metric(i):
        return [3, 2, 2, 2, 2, 1.5, 1.5, 1.5, 1.5, 1.5][i % 10] + (i // 10)

    straight, resumed = resumed_lrs(lambda o: S.ReduceLROnPlateau(o, patience=1), metric=metric)
    assert straight == resumed
    assert straight[-1] != straight[0]
