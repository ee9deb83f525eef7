"""The generic optimizer check: the same small net, the same weights and data, stepped
by a nerve optimizer and by its PyTorch twin; parameters compared after every step.
At the end, the same for learning-rate schedules.

The net is a two-layer tanh MLP on a regression target, written with bare
parameters and ops so that it depends on nothing but the autograd core.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import nerve
from nerve.nn import Parameter

torch.set_num_threads(2)

SHAPES = {"w1": (6, 4), "b1": (6,), "w2": (3, 6), "b2": (3,)}


def make_weights(seed: int = 0, dtype=np.float32) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: (rng.standard_normal(s) * 0.5).astype(dtype) for k, s in SHAPES.items()}


def make_data(seed: int = 1, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((10, 4)).astype(dtype)
    y = rng.standard_normal((10, 3)).astype(dtype)
    return x, y


def nerve_params(weights: dict) -> list[Parameter]:
    return [Parameter(nerve.tensor(weights[k])) for k in SHAPES]


def torch_params(weights: dict) -> list[torch.nn.Parameter]:
    return [torch.nn.Parameter(torch.tensor(weights[k])) for k in SHAPES]


def mse_loss(params, x, y):
    """Both frameworks: the same expression on nerve or torch tensors."""
    w1, b1, w2, b2 = params
    h = (x @ w1.T + b1).tanh()
    out = h @ w2.T + b2
    return ((out - y) ** 2).mean()


def groups(params, spec):
    """``spec`` None: all parameters in one list; else a list of (indices, options)."""
    if spec is None:
        return params
    return [dict(params=[params[i] for i in idx], **opts) for idx, opts in spec]


def step_both(
    nerve_cls, torch_cls, kwargs: dict, steps: int = 25, spec=None, dtype=np.float32
) -> None:
    """Step both optimizers ``steps`` times; compare every parameter after each step.

    float32 agrees to rounding (rtol 1e-5); float64 shows that the arithmetic is the
    same one, not just close (rtol 1e-10).
    """
    rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-10, 1e-12)
    w = make_weights(dtype=dtype)
    x, y = make_data(dtype=dtype)
    ps, tps = nerve_params(w), torch_params(w)
    opt = nerve_cls(groups(ps, spec), **kwargs)
    topt = torch_cls(groups(tps, spec), **kwargs)
    xs, ys, txs, tys = nerve.tensor(x), nerve.tensor(y), torch.tensor(x), torch.tensor(y)
    for i in range(steps):
        opt.zero_grad()
        topt.zero_grad()
        mse_loss(ps, xs, ys).backward()
        mse_loss(tps, txs, tys).backward()
        opt.step()
        topt.step()
        for name, p, tp in zip(SHAPES, ps, tps):
            assert p.dtype == dtype and p.grad.dtype == dtype
            np.testing.assert_allclose(
                p.detach().numpy(),
                tp.detach().numpy(),
                rtol=rtol,
                atol=atol,
                err_msg=f"{name} after step {i + 1}",
            )


# ----- schedules ------------------------------------------------------------------------
def optimizer_pair(lr=0.1, groups=2):
    """A nerve SGD and a torch SGD with one param group per parameter, lr, 2·lr, ..."""
    p = [nerve.nn.Parameter(nerve.zeros(2)) for _ in range(groups)]
    tp = [torch.nn.Parameter(torch.zeros(2)) for _ in range(groups)]
    opt = nerve.optim.SGD(
        [{"params": [x], "lr": lr * (i + 1)} for i, x in enumerate(p)], lr=lr, momentum=0.9
    )
    topt = torch.optim.SGD(
        [{"params": [x], "lr": lr * (i + 1)} for i, x in enumerate(tp)], lr=lr, momentum=0.9
    )
    return opt, topt


def lrs(opt):
    """The lr of every param group."""
    return [g["lr"] for g in opt.param_groups]


def run_schedules(sched, tsched, opt, topt, steps=35, metric=None):
    """Step both schedules (after their optimizers); compare the lrs after every step."""
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
    for i in range(steps):
        opt.step()
        topt.step()
        args = () if metric is None else (metric(i),)
        sched.step(*args)
        tsched.step(*args)
        assert lrs(opt) == pytest.approx(lrs(topt), rel=1e-12, abs=1e-15), f"step {i}"
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
        assert getattr(sched, "last_epoch", None) == getattr(tsched, "last_epoch", None)


def resumed_lrs(make, steps_before=10, steps_after=20, metric=None):
    """The lrs of an uninterrupted run, and of one saved and resumed after steps_before."""

    def run(opt, sched, start, n):
        out = []
        for i in range(start, start + n):
            opt.step()
            sched.step(*(() if metric is None else (metric(i),)))
            out.append(lrs(opt))
        return out

    opt, _ = optimizer_pair()
    straight = run(opt, make(opt), 0, steps_before + steps_after)
    opt1, _ = optimizer_pair()
    sched1 = make(opt1)
    first = run(opt1, sched1, 0, steps_before)
    opt_sd, sched_sd = opt1.state_dict(), sched1.state_dict()
    opt2, _ = optimizer_pair(lr=0.5)
    sched2 = make(opt2)  # PyTorch's order: build both, then load both
    opt2.load_state_dict(opt_sd)
    sched2.load_state_dict(sched_sd)
    return straight, first + run(opt2, sched2, steps_before, steps_after)


def assert_defaults_like_torch(cls, torch_cls) -> None:
    """A fresh optimizer's param group holds exactly torch's defaults."""
    group = cls([Parameter(nerve.zeros(2))]).param_groups[0]
    tgroup = torch_cls([torch.nn.Parameter(torch.zeros(2))]).param_groups[0]
    assert {k: v for k, v in group.items() if k != "params"} == {
        k: v for k, v in tgroup.items() if k != "params"
    }
