"""LR schedules against torch.optim.lr_scheduler: the lr of every step, state_dicts."""

import warnings

import numpy as np
import pytest
import torch

import nerve
from nerve import optim
from nerve.optim import lr_scheduler as S

T = torch.optim.lr_scheduler
STEPS = 35

# name, kwargs (the same for both frameworks)
CASES = [
    ("StepLR", {"step_size": 4}),
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [3, 8, 8, 20]}),
    ("MultiStepLR", {"milestones": [5, 10], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.5, "total_iters": 12}),
    ("ConstantLR", {}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 8}),
    ("LambdaLR", {"lr_lambda": lambda e: 0.95**e + 0.01 * (e % 3)}),
]


def _opts(lr=0.1, groups=2):
    p = [nerve.nn.Parameter(nerve.zeros(2)) for _ in range(groups)]
    tp = [torch.nn.Parameter(torch.zeros(2)) for _ in range(groups)]
    opt = optim.SGD([{"params": [x], "lr": lr * (i + 1)} for i, x in enumerate(p)],
                    lr=lr, momentum=0.9)
    topt = torch.optim.SGD([{"params": [x], "lr": lr * (i + 1)} for i, x in enumerate(tp)],
                           lr=lr, momentum=0.9)
    return opt, topt


def _lrs(opt):
    return [g["lr"] for g in opt.param_groups]


def _run(sched, tsched, opt, topt, steps=STEPS, metric=None):
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
    for i in range(steps):
        opt.step()
        topt.step()
        args = () if metric is None else (metric(i),)
        sched.step(*args)
        tsched.step(*args)
        assert _lrs(opt) == pytest.approx(_lrs(topt), rel=1e-12, abs=1e-15), f"step {i}"
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
        assert sched.last_epoch == tsched.last_epoch


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}{k}" for n, k in CASES])
def test_schedule_matches_torch(name, kwargs):
    opt, topt = _opts()
    sched, tsched = getattr(S, name)(opt, **kwargs), getattr(T, name)(topt, **kwargs)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    assert sched.base_lrs == tsched.base_lrs
    _run(sched, tsched, opt, topt)


@pytest.mark.parametrize("name, kwargs", CASES[:-1], ids=[f"{n}{k}" for n, k in CASES[:-1]])
def test_step_with_epoch_uses_closed_form_like_torch(name, kwargs):
    opt, topt = _opts()
    sched, tsched = getattr(S, name)(opt, **kwargs), getattr(T, name)(topt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 7, 12, 5, 30]:
            sched.step(epoch)
            tsched.step(epoch)
            assert _lrs(opt) == pytest.approx(_lrs(topt), rel=1e-12)


def test_two_schedulers_chain_on_one_optimizer():
    opt, topt = _opts()
    a, b = S.ExponentialLR(opt, 0.9), S.MultiStepLR(opt, [4, 9], 0.5)
    ta, tb = T.ExponentialLR(topt, 0.9), T.MultiStepLR(topt, [4, 9], 0.5)
    for _ in range(15):
        opt.step()
        topt.step()
        for s in (a, b, ta, tb):
            s.step()
        assert _lrs(opt) == pytest.approx(_lrs(topt), rel=1e-12)


@pytest.mark.parametrize("second", ["ExponentialLR", "CosineAnnealingLR", "StepLR"])
def test_sequential_warmup_then_schedule_matches_torch(second):
    kwargs = {"ExponentialLR": {"gamma": 0.9}, "CosineAnnealingLR": {"T_max": 12},
              "StepLR": {"step_size": 4}}[second]
    opt, topt = _opts()
    sched = S.SequentialLR(opt, [S.LinearLR(opt, 0.2, total_iters=5),
                                 getattr(S, second)(opt, **kwargs)], milestones=[5])
    tsched = T.SequentialLR(topt, [T.LinearLR(topt, 0.2, total_iters=5),
                                   getattr(T, second)(topt, **kwargs)], milestones=[5])
    _run(sched, tsched, opt, topt)


def test_sequential_three_schedulers_matches_torch():
    opt, topt = _opts()
    sched = S.SequentialLR(opt, [S.ConstantLR(opt, 0.5, 3), S.ExponentialLR(opt, 0.8),
                                 S.CosineAnnealingLR(opt, 10, 0.001)], milestones=[4, 12])
    tsched = T.SequentialLR(topt, [T.ConstantLR(topt, 0.5, 3), T.ExponentialLR(topt, 0.8),
                                   T.CosineAnnealingLR(topt, 10, 0.001)], milestones=[4, 12])
    _run(sched, tsched, opt, topt)


def test_sequential_rejects_bad_arguments():
    opt, _ = _opts()
    other, _ = _opts()
    with pytest.raises(ValueError, match="number of milestone"):
        S.SequentialLR(opt, [S.StepLR(opt, 2), S.StepLR(opt, 3)], milestones=[2, 4])
    with pytest.raises(ValueError, match="same optimizer"):
        S.SequentialLR(opt, [S.StepLR(opt, 2), S.StepLR(other, 3)], milestones=[2])


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
    opt, topt = _opts()
    sched = S.ReduceLROnPlateau(opt, **kwargs)
    tsched = T.ReduceLROnPlateau(topt, **kwargs)
    values = np.random.default_rng(0).standard_normal(40)

    def metric(i):
        return float(1.0 / (i + 1) + 0.05 * values[i]) if i < 12 else float(values[i])

    _run(sched, tsched, opt, topt, steps=40, metric=metric)
    assert _lrs(opt) != [0.1, 0.2] or kwargs.get("eps") == 0.05
    assert sched.best == tsched.best and sched.num_bad_epochs == tsched.num_bad_epochs


def test_reduce_on_plateau_accepts_a_tensor_metric_and_rejects_bad_options():
    opt, _ = _opts()
    sched = S.ReduceLROnPlateau(opt, patience=0)
    sched.step(nerve.tensor(1.0))
    sched.step(nerve.tensor(2.0))
    assert _lrs(opt) == pytest.approx([0.01, 0.02])
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        S.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="threshold mode x is unknown!"):
        S.ReduceLROnPlateau(opt, threshold_mode="x")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        S.ReduceLROnPlateau(opt, min_lr=[0.1])


def test_bad_arguments_raise_like_torch():
    opt, topt = _opts()
    for lib, o in ((S, opt), (T, topt)):
        with pytest.raises(ValueError, match="Starting multiplicative factor"):
            lib.LinearLR(o, start_factor=0)
        with pytest.raises(ValueError, match="Ending multiplicative factor"):
            lib.LinearLR(o, end_factor=1.5)
        with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
            lib.LambdaLR(o, [lambda e: 1.0])
        with pytest.raises(TypeError, match="is not an Optimizer"):
            lib.StepLR(object(), 3)
    fresh, _ = _opts()
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(fresh, 3, last_epoch=4)


# ----- state_dict -----------------------------------------------------------------------
@pytest.mark.parametrize("name, kwargs", CASES[:-1], ids=[f"{n}{k}" for n, k in CASES[:-1]])
def test_scheduler_state_dict_keys_match_torch(name, kwargs):
    opt, topt = _opts()
    sd = getattr(S, name)(opt, **kwargs).state_dict()
    tsd = getattr(T, name)(topt, **kwargs).state_dict()
    assert sorted(sd) == sorted(tsd)
    for key in ("base_lrs", "last_epoch", "_step_count", "_last_lr"):
        assert sd[key] == pytest.approx(tsd[key])


def _resume_lrs(make, steps_before=10, steps_after=20, metric=None):
    """The lrs of an uninterrupted run, and of one saved and resumed after steps_before."""
    def run(opt, sched, start, n):
        out = []
        for i in range(start, start + n):
            opt.step()
            sched.step(*(() if metric is None else (metric(i),)))
            out.append(_lrs(opt))
        return out

    opt, _ = _opts()
    straight = run(opt, make(opt), 0, steps_before + steps_after)
    opt1, _ = _opts()
    sched1 = make(opt1)
    first = run(opt1, sched1, 0, steps_before)
    opt_sd, sched_sd = opt1.state_dict(), sched1.state_dict()
    opt2, _ = _opts(lr=0.5)
    sched2 = make(opt2)  # PyTorch's order: build both, then load both
    opt2.load_state_dict(opt_sd)
    sched2.load_state_dict(sched_sd)
    return straight, first + run(opt2, sched2, steps_before, steps_after)


@pytest.mark.parametrize("make", [
    lambda o: S.StepLR(o, 3, 0.5),
    lambda o: S.CosineAnnealingLR(o, 8, 0.001),
    lambda o: S.LinearLR(o, 0.1, total_iters=15),
    lambda o: S.LambdaLR(o, lambda e: 1 / (1 + e)),
    lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=4), S.ExponentialLR(o, 0.9)],
                             [4]),
    lambda o: S.OneCycleLR(o, 1.0, total_steps=30),
], ids=["StepLR", "CosineAnnealingLR", "LinearLR", "LambdaLR", "SequentialLR", "OneCycleLR"])
def test_resumed_schedule_continues_exactly(make):
    straight, resumed = _resume_lrs(make)
    assert straight == resumed


def test_resumed_plateau_continues_exactly():
    def metric(i):
        return [3, 2, 2, 2, 2, 1.5, 1.5, 1.5, 1.5, 1.5][i % 10] + (i // 10)

    straight, resumed = _resume_lrs(lambda o: S.ReduceLROnPlateau(o, patience=1), metric=metric)
    assert straight == resumed
    assert straight[-1] != straight[0]


def test_lambda_state_dict_saves_callable_objects_only():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate**epoch

    opt, _ = _opts()
    sched = S.LambdaLR(opt, [lambda e: 1.0, Decay()])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [None, {"rate": 0.5}]
    sd["lr_lambdas"][1]["rate"] = 0.25
    other = S.LambdaLR(opt, [lambda e: 1.0, Decay()])
    other.load_state_dict(sd)
    assert other.lr_lambdas[1].rate == 0.25


def test_scheduler_warnings_like_torch():
    opt, _ = _opts()
    sched = S.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()
