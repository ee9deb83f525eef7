"""Array functions whose NumPy form has no CuPy twin, one function each.

The ops call these instead of NumPy's ufunc methods (``np.maximum.accumulate``,
``np.logaddexp.accumulate``, ``np.multiply.at``, a generic ``ufunc.at``) and
``np.errstate``: on NumPy arrays they are exactly those calls (no cost), on any other
array module they run a device-safe form built only from functions CuPy has too
(slicing, ``where``, ``argsort``, elementwise ufuncs), so no data leaves the device.
"""

from __future__ import annotations

import contextlib

import numpy as np

from nerve.backend import array_module


def errstate(xp, **kwargs):
    """``np.errstate(**kwargs)`` on NumPy; CuPy has no floating-point error state, so
    elsewhere a context that does nothing."""
    if xp is np:
        return np.errstate(**kwargs)
    state = getattr(xp, "errstate", None)
    return state(**kwargs) if state is not None else contextlib.nullcontext()


def _scan(xp, op, x, axis):
    """Inclusive scan of ``x`` along ``axis`` with the associative elementwise ``op``
    in ⌈log₂ n⌉ whole-array steps (Hillis-Steele): yᵢ ← op(yᵢ, yᵢ₋ₛ) for s = 1, 2, 4 …"""
    y = xp.moveaxis(x, axis, 0).copy()
    n, s = y.shape[0], 1
    while s < n:
        y[s:] = op(y[s:], y[:-s].copy())
        s *= 2
    return xp.moveaxis(y, 0, axis)


def accumulate(name: str, x, axis: int):
    """``np.<name>.accumulate(x, axis)`` for name in maximum, minimum, logaddexp,
    multiply, add (running max, min, log-sum-exp, product, sum)."""
    xp = array_module(x)
    ufunc = getattr(xp, name)
    if xp is np or name in ("add", "multiply"):
        return ufunc.accumulate(x, axis=axis)
    return _scan(xp, ufunc, x, axis)


def _segment_scan(xp, op, keys, vals):
    """Inclusive scan of ``vals`` within runs of equal, sorted ``keys``."""
    vals = vals.copy()
    n, s = vals.shape[0], 1
    while s < n:
        same = (keys[s:] == keys[:-s]).reshape((-1,) + (1,) * (vals.ndim - 1))
        vals[s:] = xp.where(same, op(vals[s:], vals[:-s]), vals[s:])
        s *= 2
    return vals


# the ufuncs whose .at CuPy has (cupyx.scatter_add and friends underneath)
_AT = {"add", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor"}


def ufunc_at(name: str, a, index, values) -> None:
    """``np.<name>.at(a, index, values)``: a[index] ← op(a[index], values) unbuffered,
    so repeated indices combine (name: add, multiply, maximum, minimum, ...).

    Off NumPy, for ufuncs without CuPy's ``.at``: the targets' flat positions sorted,
    runs of equal position reduced by a segmented scan, and each run's total combined
    into ``a`` once."""
    xp = array_module(a)
    ufunc = getattr(xp, name)
    if xp is np or name in _AT:
        ufunc.at(a, index, values)
        return
    pos = xp.arange(a.size).reshape(a.shape)[index]
    vals = xp.broadcast_to(xp.asarray(values, dtype=a.dtype), pos.shape).reshape(-1)
    pos = pos.reshape(-1)
    if pos.size == 0:
        return
    order = xp.argsort(pos)
    pos, vals = pos[order], vals[order]
    total = _segment_scan(xp, ufunc, pos, vals)
    last = xp.ones(pos.shape, dtype=bool)
    last[:-1] = pos[1:] != pos[:-1]
    flat = a.reshape(-1)  # a view when a is contiguous, else a copy written back below
    target = pos[last]
    flat[target] = ufunc(flat[target], total[last])
    a[...] = flat.reshape(a.shape)


def scatter_add(a, index, values) -> None:
    """a[index] += values with repeated indices adding up (``np.add.at``;
    CuPy's ``add.at`` is ``cupyx.scatter_add``)."""
    ufunc_at("add", a, index, values)


def repeat_each(x, repeats, axis=None):
    """``np.repeat`` with the counts an array of x's module (CuPy takes only an int or a
    list of counts: the output size depends on them, so they come to the host, as in
    torch's repeat_interleave without output_size)."""
    xp = array_module(x)
    if xp is not np and not isinstance(repeats, int):
        repeats = repeats.tolist()
    return xp.repeat(x, repeats, axis=axis)


def reduceat(name: str, x, starts, axis: int = 0):
    """``np.<name>.reduceat(x, starts, axis)`` for strictly increasing ``starts``
    (segment i is x[starts[i]:starts[i+1]], the last running to the end): the sums,
    maxima or minima of contiguous runs along ``axis``. Off NumPy (CuPy has only
    add.reduceat), each row's segment number from a running count of starts, then
    ``ufunc_at`` onto the segments' first rows."""
    xp = array_module(x)
    ufunc = getattr(xp, name)
    if xp is np or name == "add":
        return ufunc.reduceat(x, starts, axis=axis)
    if axis != 0:
        return xp.moveaxis(reduceat(name, xp.moveaxis(x, axis, 0), starts), 0, axis)
    first = xp.zeros(x.shape[0], dtype=starts.dtype)
    first[starts] = 1
    seg = xp.cumsum(first) - 1
    out = x[starts].copy()
    ufunc_at(name, out, seg, x)
    return out


def broadcast_shapes(*shapes) -> tuple:
    """The shape ``shapes`` broadcast to (ValueError when they do not): plain tuples, the
    same on every device."""
    return np.broadcast_shapes(*shapes)


# what a singular or non-positive-definite matrix raises (cupy.linalg raises NumPy's too,
# where it checks)
LinAlgError = np.linalg.LinAlgError


def namespace_for(device):
    """The array module of ``device`` (a device, its name, or None for the CPU): what a
    creation call with ``device=`` allocates with."""
    from nerve.backend.device import check_device, cuda_namespace

    if device is None or check_device(device).type == "cpu":
        return np
    return cuda_namespace()
