"""Helpers: build the same distribution in nerve and torch from one set of NumPy parameters
and compare values and gradients."""

from __future__ import annotations

import numpy as np
import torch

import nerve

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def pair(params: dict, dtype, grad=True):
    """The parameters as nerve and torch leaf tensors (integer arrays stay constant)."""
    nv, tv = {}, {}
    for k, v in params.items():
        v = np.asarray(v)
        if v.dtype.kind == "f":
            v = v.astype(dtype)
            nv[k] = nerve.tensor(v, requires_grad=grad)
            tv[k] = torch.tensor(v, requires_grad=grad)
        else:
            nv[k] = nerve.tensor(v)
            tv[k] = torch.tensor(v)
    return nv, tv


def close(a, b, dtype, what="", rtol=None):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs torch {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} vs torch {b.dtype}"
    tol = dict(TOL[dtype])
    if rtol is not None and rtol > tol["rtol"]:  # relative to the largest entry
        tol = {"rtol": rtol, "atol": rtol * float(np.abs(b).max())}
    np.testing.assert_allclose(a, b, err_msg=what, equal_nan=True, **tol)


def grads_close(nv, tv, dtype, what="", rtol=None):
    for k in nv:
        if nv[k].requires_grad:
            ng, tg = nv[k].grad, tv[k].grad
            assert (ng is None) == (tg is None), f"{what}: grad of {k}"
            if ng is not None:
                close(ng, tg, dtype, f"{what}: grad of {k}", rtol)
