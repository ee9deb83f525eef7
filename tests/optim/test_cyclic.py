"""CyclicLR and CosineAnnealingWarmRestarts against PyTorch's: the lr (and momentum)
of every step, fractional epochs, state_dicts and resuming."""

import warnings

import pytest
import torch
from stepcheck import lrs, optimizer_pair, resumed_lrs, run_schedules

import nerve
from nerve import optim
from nerve.optim import lr_scheduler as S

T = torch.optim.lr_scheduler


def _momenta(opt):
    return [g["momentum"] if "momentum" in g else g["betas"][0] for g in opt.param_groups]


# ----- CyclicLR ---------------------------------------------------------------------------
CYCLIC = [
    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4},
    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "step_size_down": 7},
    {"base_lr": [0.01, 0.02], "max_lr": [0.1, 0.3], "step_size_up": 5, "mode": "triangular2"},
    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "mode": "exp_range", "gamma": 0.97},
    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 6, "base_momentum": 0.5, "max_momentum": 0.95},
    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "cycle_momentum": False},
    {
        "base_lr": 0.01,
        "max_lr": 0.1,
        "step_size_up": 4,
        "scale_fn": lambda x: 1 / (1 + x),
        "scale_mode": "iterations",
    },
    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "scale_fn": lambda c: 0.8**c},
]


@pytest.mark.parametrize("kwargs", CYCLIC, ids=[str(i) for i in range(len(CYCLIC))])
def test_cyclic_lr_and_momentum_match_torch(kwargs):
    opt, topt = optimizer_pair()
    sched, tsched = S.CyclicLR(opt, **kwargs), T.CyclicLR(topt, **kwargs)
    assert sched.base_lrs == tsched.base_lrs
    assert lrs(opt) == lrs(topt) and _momenta(opt) == _momenta(topt)
    for i in range(50):
        run_schedules(sched, tsched, opt, topt, steps=1)
        assert _momenta(opt) == pytest.approx(_momenta(topt), rel=1e-12), i
    assert sorted(sched.state_dict()) == sorted(tsched.state_dict())
    assert opt.param_groups[0].keys() == topt.param_groups[0].keys()


def test_cyclic_momentum_moves_adams_beta1():
    p, tp = nerve.nn.Parameter(nerve.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    opt, topt = optim.Adam([p]), torch.optim.Adam([tp])
    sched = S.CyclicLR(opt, 0.001, 0.01, step_size_up=3)
    tsched = T.CyclicLR(topt, 0.001, 0.01, step_size_up=3)
    for _ in range(12):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        assert opt.param_groups[0]["betas"] == pytest.approx(topt.param_groups[0]["betas"])
        assert lrs(opt) == pytest.approx(lrs(topt), rel=1e-12)


def test_cyclic_state_dict_saves_callable_objects_only():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, cycle):
            return self.rate**cycle

    opt, topt = optimizer_pair()
    sd = S.CyclicLR(opt, 0.01, 0.1, scale_fn=Decay()).state_dict()
    tsd = T.CyclicLR(topt, 0.01, 0.1, scale_fn=Decay()).state_dict()
    assert sd == tsd
    assert sd["_scale_fn_custom"] == {"rate": 0.5}
    sd["_scale_fn_custom"]["rate"] = 0.25
    other = S.CyclicLR(opt, 0.01, 0.1, scale_fn=Decay())
    other.load_state_dict(sd)
    assert other._scale_fn_custom.rate == 0.25
    assert (
        S.CyclicLR(opt, 0.01, 0.1, scale_fn=lambda c: 1.0).state_dict()["_scale_fn_custom"] is None
    )


def test_cyclic_rejects_what_torch_rejects():
    opt, _ = optimizer_pair()
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        S.CyclicLR(opt, 0.01, 0.1, mode="sawtooth")
    with pytest.raises(ValueError, match="base_lr must have the same length"):
        S.CyclicLR(opt, [0.01, 0.02, 0.03], 0.1)
    adagrad = optim.Adagrad([nerve.nn.Parameter(nerve.zeros(2))])
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        S.CyclicLR(adagrad, 0.01, 0.1)
    S.CyclicLR(adagrad, 0.01, 0.1, cycle_momentum=False)


# ----- CosineAnnealingWarmRestarts -------------------------------------------------------
WARM = [
    {"T_0": 5},
    {"T_0": 3, "T_mult": 2},
    {"T_0": 4, "T_mult": 3, "eta_min": 0.01},
    {"T_0": 1, "eta_min": 0.05},
]


@pytest.mark.parametrize("kwargs", WARM, ids=str)
def test_warm_restarts_match_torch(kwargs):
    opt, topt = optimizer_pair()
    sched = S.CosineAnnealingWarmRestarts(opt, **kwargs)
    tsched = T.CosineAnnealingWarmRestarts(topt, **kwargs)
    run_schedules(sched, tsched, opt, topt, steps=50)
    assert (sched.T_cur, sched.T_i) == (tsched.T_cur, tsched.T_i)
    sd, tsd = sched.state_dict(), tsched.state_dict()
    assert sorted(sd) == sorted(tsd)
    for key, value in tsd.items():
        assert sd[key] == pytest.approx(value, rel=1e-12), key


@pytest.mark.parametrize("kwargs", WARM, ids=str)
def test_warm_restarts_fractional_epochs_match_torch(kwargs):
    opt, topt = optimizer_pair()
    sched = S.CosineAnnealingWarmRestarts(opt, **kwargs)
    tsched = T.CosineAnnealingWarmRestarts(topt, **kwargs)
    iters = 4
    for epoch in range(12):
        for i in range(iters):
            opt.step()
            topt.step()
            sched.step(epoch + i / iters)
            tsched.step(epoch + i / iters)
            assert lrs(opt) == pytest.approx(lrs(topt), rel=1e-12, abs=1e-15)
            assert (sched.last_epoch, sched.T_cur, sched.T_i) == (
                tsched.last_epoch,
                pytest.approx(tsched.T_cur),
                tsched.T_i,
            )
    for epoch in [30, 7.5, 0, 101.25]:
        sched.step(epoch)
        tsched.step(epoch)
        assert lrs(opt) == pytest.approx(lrs(topt), rel=1e-12, abs=1e-15)


def test_warm_restarts_rejects_what_torch_rejects():
    opt, _ = optimizer_pair()
    for kwargs, message in [
        ({"T_0": 0}, "Expected positive integer T_0, but got 0"),
        ({"T_0": 2.0}, "Expected positive integer T_0, but got 2.0"),
        ({"T_0": 2, "T_mult": 0}, "Expected integer T_mult >= 1"),
        ({"T_0": 2, "T_mult": 1.5}, "Expected integer T_mult >= 1"),
        ({"T_0": 2, "eta_min": "0"}, "Expected float or int eta_min"),
    ]:
        with pytest.raises(ValueError, match=message):
            S.CosineAnnealingWarmRestarts(opt, **kwargs)
    sched = S.CosineAnnealingWarmRestarts(opt, 2)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        sched.step(-1)


def test_warm_restarts_no_call_order_warning_like_torch():
    opt, topt = optimizer_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        S.CosineAnnealingWarmRestarts(opt, 3).step()
        T.CosineAnnealingWarmRestarts(topt, 3).step()


def test_warm_restarts_inside_sequential_lr_match_torch():
    opt, topt = optimizer_pair()
    sched = S.SequentialLR(
        opt, [S.LinearLR(opt, 0.1, total_iters=4), S.CosineAnnealingWarmRestarts(opt, 3, 2)], [4]
    )
    tsched = T.SequentialLR(
        topt, [T.LinearLR(topt, 0.1, total_iters=4), T.CosineAnnealingWarmRestarts(topt, 3, 2)], [4]
    )
    run_schedules(sched, tsched, opt, topt, steps=30)


# ----- resuming ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="triangular2"),
        lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="exp_range", gamma=0.9),
        lambda o: S.CosineAnnealingWarmRestarts(o, 3, 2, eta_min=0.001),
    ],
    ids=["CyclicLR-triangular2", "CyclicLR-exp_range", "CosineAnnealingWarmRestarts"],
)
def test_resumed_cycles_continue_exactly(make):
    straight, resumed = resumed_lrs(make, steps_before=11, steps_after=40)
    assert straight == resumed


def test_resumed_cyclic_momentum_continues_exactly():
    def run(opt, sched, n):
        out = []
        for _ in range(n):
            opt.step()
            sched.step()
            out.append((lrs(opt), _momenta(opt)))
        return out

    opt, _ = optimizer_pair()
    straight = run(opt, S.CyclicLR(opt, 0.01, 0.1, step_size_up=3), 20)
    opt1, _ = optimizer_pair()
    sched1 = S.CyclicLR(opt1, 0.01, 0.1, step_size_up=3)
    first = run(opt1, sched1, 7)
    opt2, _ = optimizer_pair(lr=0.5)
    sched2 = S.CyclicLR(opt2, 0.05, 0.2, step_size_up=5)
    opt2.load_state_dict(opt1.state_dict())
    sched2.load_state_dict(sched1.state_dict())
    assert first + run(opt2, sched2, 13) == straight
