"""LBFGS against torch.optim.LBFGS: every step(closure) (its inner iterations, the
strong-Wolfe line search, the evaluation counts), the state layout, resuming."""

import copy

import numpy as np
import pytest
import torch
from stepcheck import (
    SHAPES,
    assert_defaults_like_torch,
    make_data,
    make_weights,
    mse_loss,
    nerve_params,
    torch_params,
)

import nerve
from nerve import optim

CASES = [
    {"max_iter": 5},
    {"lr": 0.5, "max_iter": 5, "history_size": 3},
    {"max_iter": 8, "max_eval": 6},
    {"max_iter": 6, "tolerance_change": 1e-3},
    {"max_iter": 4, "line_search_fn": "strong_wolfe"},
    {"lr": 0.7, "max_iter": 4, "history_size": 2, "line_search_fn": "strong_wolfe"},
]


def _setup(kwargs, dtype=np.float64):
    w = make_weights(dtype=dtype)
    x, y = make_data(dtype=dtype)
    ps, tps = nerve_params(w), torch_params(w)
    opt, topt = optim.LBFGS(ps, **kwargs), torch.optim.LBFGS(tps, **kwargs)
    xs, ys, txs, tys = nerve.tensor(x), nerve.tensor(y), torch.tensor(x), torch.tensor(y)

    def closure():
        opt.zero_grad()
        loss = mse_loss(ps, xs, ys)
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = mse_loss(tps, txs, tys)
        loss.backward()
        return loss

    return (opt, ps, closure), (topt, tps, tclosure)


def _compare(ours, theirs, steps, rtol, atol):
    (opt, ps, closure), (topt, tps, tclosure) = ours, theirs
    for i in range(steps):
        loss, tloss = opt.step(closure), topt.step(tclosure)
        assert isinstance(loss, nerve.Tensor)
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=rtol, err_msg=f"step {i}")
        for name, p, tp in zip(SHAPES, ps, tps):
            np.testing.assert_allclose(
                p.detach().numpy(),
                tp.detach().numpy(),
                rtol=rtol,
                atol=atol,
                err_msg=f"{name} after step {i + 1}",
            )
        state, tstate = opt.state[ps[0]], topt.state[tps[0]]
        assert (state["func_evals"], state["n_iter"]) == (tstate["func_evals"], tstate["n_iter"])


@pytest.mark.parametrize("kwargs", CASES, ids=str)
def test_lbfgs_matches_torch_float64(kwargs):
    _compare(*_setup(kwargs), steps=6, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kwargs", [{}, {"line_search_fn": "strong_wolfe"}], ids=str)
def test_lbfgs_default_twenty_iterations_match_torch(kwargs):
    # L-BFGS amplifies rounding over many iterations: two steps of 20 stay within 1e-9
    _compare(*_setup(kwargs), steps=2, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kwargs", [CASES[1], CASES[-1]], ids=str)
def test_lbfgs_matches_torch_float32(kwargs):
    _compare(*_setup(kwargs, np.float32), steps=3, rtol=1e-4, atol=1e-5)


def test_lbfgs_state_like_torch():
    ours, theirs = _setup(CASES[-1])
    _compare(ours, theirs, steps=2, rtol=1e-9, atol=1e-11)
    sd, tsd = ours[0].state_dict(), theirs[0].state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert list(sd["state"]) == list(tsd["state"]) == [0]
    state, tstate = sd["state"][0], tsd["state"][0]
    assert list(state) == list(tstate)
    for key in ("d", "H_diag", "prev_flat_grad"):
        assert isinstance(state[key], nerve.Tensor)
        np.testing.assert_allclose(state[key].numpy(), tstate[key].numpy(), rtol=1e-9)
    for key in ("old_dirs", "old_stps", "ro"):
        assert len(state[key]) == len(tstate[key])
        for a, b in zip(state[key], tstate[key]):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-8, atol=1e-12)
    assert len(state["al"]) == len(tstate["al"]) == 2
    assert state["t"] == pytest.approx(float(tstate["t"]), rel=1e-9)
    assert state["prev_loss"] == pytest.approx(tstate["prev_loss"], rel=1e-9)


@pytest.mark.parametrize("kwargs", [CASES[1], CASES[-1]], ids=str)
def test_lbfgs_resumes_exactly(kwargs, tmp_path):
    (opt, ps, closure), _ = _setup(kwargs)
    for _ in range(5):
        opt.step(closure)
    (opt1, ps1, closure1), _ = _setup(kwargs)
    for _ in range(2):
        opt1.step(closure1)
    nerve.save(copy.deepcopy(opt1.state_dict()), tmp_path / "lbfgs.nrv")
    sd = nerve.load(tmp_path / "lbfgs.nrv")
    (opt2, ps2, closure2), _ = _setup({**kwargs, "lr": 0.1})
    for p, q in zip(ps2, ps1):
        p._data[...] = q._data
    opt2.load_state_dict(sd)
    for _ in range(3):
        opt2.step(closure2)
    for name, p, q in zip(SHAPES, ps, ps2):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=name)


def test_lbfgs_solves_a_quadratic_and_returns_the_first_loss():
    target = nerve.tensor([1.0, -2.0, 3.0], dtype=nerve.float64)
    p = nerve.nn.Parameter(nerve.zeros(3, dtype=nerve.float64))
    opt = optim.LBFGS([p], line_search_fn="strong_wolfe")
    scale = nerve.tensor([1.0, 2.0, 4.0], dtype=nerve.float64)

    def closure():
        opt.zero_grad()
        loss = (((p - target) * scale) ** 2).sum()
        loss.backward()
        return loss

    first = opt.step(closure)
    assert first.item() == pytest.approx(1 + 16 + 144)
    np.testing.assert_allclose(p.detach().numpy(), [1.0, -2.0, 3.0], atol=1e-5)
    # a zero gradient ends the step after its one evaluation, leaving the history alone
    p._data[...] = target._data
    evals, n_iter = opt.state[p]["func_evals"], opt.state[p]["n_iter"]
    assert opt.step(closure).item() == 0
    assert (opt.state[p]["func_evals"], opt.state[p]["n_iter"]) == (evals + 1, n_iter)


def test_lbfgs_defaults_match_torch():
    assert_defaults_like_torch(optim.LBFGS, torch.optim.LBFGS)
    assert optim.LBFGS([nerve.nn.Parameter(nerve.zeros(2))], max_iter=8).defaults["max_eval"] == 10


def test_lbfgs_rejects_what_torch_rejects():
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([nerve.nn.Parameter(nerve.zeros(2))], lr=-1)
    groups = [
        {"params": [nerve.nn.Parameter(nerve.zeros(2))]},
        {"params": [nerve.nn.Parameter(nerve.zeros(2))]},
    ]
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS(groups)
    p = nerve.nn.Parameter(nerve.ones(2))
    opt = optim.LBFGS([p], line_search_fn="backtracking")

    def closure():
        opt.zero_grad()
        loss = (p**2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)
    with pytest.raises(TypeError, match="closure"):
        opt.step(None)
