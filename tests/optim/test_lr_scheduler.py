"""LR schedules against torch.optim.lr_scheduler: the lr of every step, state_dicts."""

import warnings

import pytest
import torch
from stepcheck import lrs, optimizer_pair, resumed_lrs, run_schedules

import nerve
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
    ("PolynomialLR", {}),
    ("PolynomialLR", {"total_iters": 20, "power": 2.0}),
    ("MultiplicativeLR", {"lr_lambda": lambda e: 0.9 + 0.02 * (e % 4)}),
    ("LambdaLR", {"lr_lambda": lambda e: 0.95**e + 0.01 * (e % 3)}),
]
CLOSED = [c for c in CASES if "lr_lambda" not in c[1]]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}{k}" for n, k in CASES])
def test_schedule_matches_torch(name, kwargs):
    opt, topt = optimizer_pair()
    sched, tsched = getattr(S, name)(opt, **kwargs), getattr(T, name)(topt, **kwargs)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    assert sched.base_lrs == tsched.base_lrs
    run_schedules(sched, tsched, opt, topt)


@pytest.mark.parametrize("name, kwargs", CLOSED, ids=[f"{n}{k}" for n, k in CLOSED])
def test_step_with_epoch_uses_closed_form_like_torch(name, kwargs):
    opt, topt = optimizer_pair()
    sched, tsched = getattr(S, name)(opt, **kwargs), getattr(T, name)(topt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 7, 12, 5, 30]:
            sched.step(epoch)
            tsched.step(epoch)
            assert lrs(opt) == pytest.approx(lrs(topt), rel=1e-12)


def test_two_schedulers_chain_on_one_optimizer():
    opt, topt = optimizer_pair()
    a, b = S.ExponentialLR(opt, 0.9), S.MultiStepLR(opt, [4, 9], 0.5)
    ta, tb = T.ExponentialLR(topt, 0.9), T.MultiStepLR(topt, [4, 9], 0.5)
    for _ in range(15):
        opt.step()
        topt.step()
        for s in (a, b, ta, tb):
            s.step()
        assert lrs(opt) == pytest.approx(lrs(topt), rel=1e-12)


def test_bad_arguments_raise_like_torch():
    opt, topt = optimizer_pair()
    for lib, o in ((S, opt), (T, topt)):
        with pytest.raises(ValueError, match="Starting multiplicative factor"):
            lib.LinearLR(o, start_factor=0)
        with pytest.raises(ValueError, match="Ending multiplicative factor"):
            lib.LinearLR(o, end_factor=1.5)
        with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
            lib.LambdaLR(o, [lambda e: 1.0])
        with pytest.raises(TypeError, match="is not an Optimizer"):
            lib.StepLR(object(), 3)
    fresh, _ = optimizer_pair()
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(fresh, 3, last_epoch=4)


# ----- state_dict -----------------------------------------------------------------------
@pytest.mark.parametrize("name, kwargs", CLOSED, ids=[f"{n}{k}" for n, k in CLOSED])
def test_scheduler_state_dict_keys_match_torch(name, kwargs):
    opt, topt = optimizer_pair()
    sd = getattr(S, name)(opt, **kwargs).state_dict()
    tsd = getattr(T, name)(topt, **kwargs).state_dict()
    assert sorted(sd) == sorted(tsd)
    for key in ("base_lrs", "last_epoch", "_step_count", "_last_lr"):
        assert sd[key] == pytest.approx(tsd[key])


@pytest.mark.parametrize(
    "make",
    [
        lambda o: S.StepLR(o, 3, 0.5),
        lambda o: S.CosineAnnealingLR(o, 8, 0.001),
        lambda o: S.LinearLR(o, 0.1, total_iters=15),
        lambda o: S.LambdaLR(o, lambda e: 1 / (1 + e)),
        lambda o: S.SequentialLR(
            o, [S.LinearLR(o, 0.1, total_iters=4), S.ExponentialLR(o, 0.9)], [4]
        ),
        lambda o: S.OneCycleLR(o, 1.0, total_steps=30),
    ],
    ids=["StepLR", "CosineAnnealingLR", "LinearLR", "LambdaLR", "SequentialLR", "OneCycleLR"],
)
def test_resumed_schedule_continues_exactly(make):
    straight, resumed = resumed_lrs(make)
    assert straight == resumed


def test_lambda_state_dict_saves_callable_objects_only():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate**epoch

    opt, _ = optimizer_pair()
    sched = S.LambdaLR(opt, [lambda e: 1.0, Decay()])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [None, {"rate": 0.5}]
    sd["lr_lambdas"][1]["rate"] = 0.25
    other = S.LambdaLR(opt, [lambda e: 1.0, Decay()])
    other.load_state_dict(sd)
    assert other.lr_lambdas[1].rate == 0.25


def test_scheduler_warnings_like_torch():
    opt, _ = optimizer_pair()
    sched = S.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()


def test_custom_optimizer_subclass_works_with_schedulers_without_warning():
    class HalfStep(nerve.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        @nerve.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.sub_(p.grad * (group["lr"] / 2))

    p = nerve.nn.Parameter(nerve.ones(2))
    opt = HalfStep([p], lr=0.4)
    sched = S.ExponentialLR(opt, 0.5)
    p.grad = nerve.ones(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            opt.step()
            sched.step()
    assert p.tolist() == pytest.approx([1 - 0.2 - 0.1] * 2)
    assert sched.get_last_lr() == pytest.approx([0.1])


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}{k}" for n, k in CASES])
def test_resume_with_last_epoch_matches_torch(name, kwargs):
    opt, topt = optimizer_pair()
    for group, tgroup in zip(opt.param_groups, topt.param_groups):
        group["initial_lr"], tgroup["initial_lr"] = group["lr"] / 2, tgroup["lr"] / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = getattr(S, name)(opt, last_epoch=6, **kwargs)
        tsched = getattr(T, name)(topt, last_epoch=6, **kwargs)
        assert sched.base_lrs == tsched.base_lrs == [0.05, 0.1]
        run_schedules(sched, tsched, opt, topt, steps=15)


def test_multistep_state_survives_a_checkpoint_file(tmp_path):
    opt, topt = optimizer_pair()
    sched = S.MultiStepLR(opt, [2, 5, 5])
    for _ in range(3):
        opt.step()
        sched.step()
    nerve.save(sched.state_dict(), tmp_path / "sched.nrv")
    other = S.MultiStepLR(opt, [1])
    other.load_state_dict(nerve.load(tmp_path / "sched.nrv"))
    tsched = T.MultiStepLR(topt, [2, 5, 5])
    for _ in range(3):
        topt.step()
        tsched.step()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [4, 5, 9]:
            other.step(epoch)
            tsched.step(epoch)
            assert lrs(opt) == pytest.approx(lrs(topt), rel=1e-12)
