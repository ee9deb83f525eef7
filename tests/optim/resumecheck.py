"""Checks shared by the optimizer tests beyond stepcheck.step_both: the loss of every
step against torch, the state_dict layout against torch's, and a save/load round trip
that must continue exactly like an uninterrupted run."""

from __future__ import annotations

import copy

import numpy as np
import torch
from stepcheck import SHAPES, make_data, make_weights, mse_loss, nerve_params, torch_params

import nerve


def losses_both(nerve_cls, torch_cls, kwargs: dict, steps: int = 20, dtype=np.float32):
    """Step both optimizers; compare the loss and every parameter after each step.
    Returns the two optimizers (for a look at their state)."""
    rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-10, 1e-12)
    w = make_weights(dtype=dtype)
    x, y = make_data(dtype=dtype)
    ps, tps = nerve_params(w), torch_params(w)
    opt, topt = nerve_cls(ps, **kwargs), torch_cls(tps, **kwargs)
    xs, ys, txs, tys = nerve.tensor(x), nerve.tensor(y), torch.tensor(x), torch.tensor(y)
    for i in range(steps):
        opt.zero_grad()
        topt.zero_grad()
        loss, tloss = mse_loss(ps, xs, ys), mse_loss(tps, txs, tys)
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=rtol, err_msg=f"loss {i}")
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
        for name, p, tp in zip(SHAPES, ps, tps):
            np.testing.assert_allclose(
                p.detach().numpy(),
                tp.detach().numpy(),
                rtol=rtol,
                atol=atol,
                err_msg=f"{name} after step {i + 1}",
            )
    return opt, topt


def assert_state_like_torch(opt, topt) -> None:
    """The same state_dict: state keys, dtypes, shapes and values; param_groups."""
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sorted(sd["state"]) == sorted(tsd["state"])
    for index, tstate in tsd["state"].items():
        state = sd["state"][index]
        assert list(state) == list(tstate)
        for key, value in tstate.items():
            if isinstance(value, torch.Tensor):
                assert isinstance(state[key], nerve.Tensor), key
                assert state[key].shape == tuple(value.shape), key
                assert str(state[key].dtype) == str(value.dtype).replace("torch.", ""), key
                np.testing.assert_allclose(
                    state[key].numpy(), value.numpy(), rtol=1e-5, atol=1e-7, err_msg=key
                )
    assert sd["param_groups"] == tsd["param_groups"]


def _run(opt, params, start: int, steps: int) -> None:
    x, y = make_data()
    xs, ys = nerve.tensor(x), nerve.tensor(y)
    for _ in range(start, start + steps):
        opt.zero_grad()
        mse_loss(params, xs, ys).backward()
        opt.step()


def assert_resumes_exactly(
    nerve_cls, kwargs: dict, before: int = 6, after: int = 10, tmp_path=None
) -> None:
    """Save after ``before`` steps, load into a fresh optimizer (built with another lr)
    over fresh parameters holding the saved weights, run ``after`` more steps: the result
    equals ``before + after`` uninterrupted steps bit for bit. With tmp_path the
    state_dict also goes through a checkpoint file."""
    w = make_weights()
    straight = nerve_params(w)
    _run(nerve_cls(straight, **kwargs), straight, 0, before + after)

    first = nerve_params(w)
    opt = nerve_cls(first, **kwargs)
    _run(opt, first, 0, before)
    sd = copy.deepcopy(opt.state_dict())
    if tmp_path is not None:
        nerve.save(sd, tmp_path / "optim.nrv")
        sd = nerve.load(tmp_path / "optim.nrv")
    resumed = nerve_params({k: p.detach().numpy().copy() for k, p in zip(SHAPES, first)})
    other = nerve_cls(resumed, **{**kwargs, "lr": 0.123})
    other.load_state_dict(sd)
    _run(other, resumed, before, after)
    for name, p, q in zip(SHAPES, straight, resumed):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=name)
