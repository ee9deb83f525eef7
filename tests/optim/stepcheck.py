"""The generic optimizer check: the same small net, the same weights and data, stepped
by a nerve optimizer and by its PyTorch twin; parameters compared after every step.

The net is a two-layer tanh MLP on a regression target, written with bare
parameters and ops so that it depends on nothing but the autograd core.
"""

from __future__ import annotations

import numpy as np
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


def step_both(nerve_cls, torch_cls, kwargs: dict, steps: int = 25, spec=None,
              dtype=np.float32) -> None:
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
            np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=rtol,
                                       atol=atol, err_msg=f"{name} after step {i + 1}")
