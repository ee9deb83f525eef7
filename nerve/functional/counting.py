"""Integer-valued ops without gradient: nonzero, argwhere, bincount, histc, bucketize,
searchsorted, unique, unique_consecutive."""

from __future__ import annotations

from nerve.autograd.function import wrap
from nerve.backend import array_module
from nerve.dtypes import float32, float64, int32, int64, is_floating
from nerve.tensor import ops_table
from nerve.tensor import wrap_dim as _dim

__all__ = [
    "argwhere", "bincount", "bucketize", "histc", "nonzero", "searchsorted", "unique",
    "unique_consecutive",
]  # fmt: skip


def _arr(x, like=None):
    """x's array, or x (a number, a list) as an array on ``like``'s device."""
    return x._data if hasattr(x, "_data") else array_module(like).asarray(x)


def nonzero(input, *, as_tuple=False):  # noqa: A002 - PyTorch's argument names
    xp = array_module(input)
    a = input._data
    if as_tuple:
        if a.ndim == 0:
            return (wrap(xp.zeros(int(a != 0), int64)),)
        return tuple(wrap(i.astype(int64)) for i in xp.nonzero(a))
    return wrap(xp.argwhere(a).astype(int64))


def argwhere(input):
    return nonzero(input)


def bincount(input, weights=None, minlength=0):
    """Counts of each value 0..max of a 1-D non-negative integer tensor (sums of weights)."""
    xp = array_module(input)
    a = input._data
    if a.ndim != 1 or a.dtype.kind not in "iub":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if a.size and a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return wrap(xp.bincount(a, minlength=minlength).astype(int64))
    w = weights._data
    if w.shape != a.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dtype = float32 if w.dtype == float32 else float64
    return wrap(xp.bincount(a, w.astype(float64), minlength).astype(dtype))


def histc(input, bins=100, min=0, max=0):
    """Counts in ``bins`` equal bins over [min, max] (the data's range if min = max);
    entries outside are left out, the top edge belongs to the last bin."""
    xp = array_module(input)
    a = input._data
    if not is_floating(a.dtype):
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{a.dtype}'")
    if bins <= 0:
        raise RuntimeError("torch.histc(): bins must be > 0")
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc(): max must be larger than min")
    flat = a.reshape(-1)
    flat = flat[(flat >= lo) & (flat <= hi)]
    idx = ((flat - lo) * bins / (hi - lo)).astype(int64)
    idx = xp.minimum(idx, bins - 1)
    return wrap(xp.bincount(idx, minlength=bins).astype(a.dtype))


def searchsorted(
    sorted_sequence,
    input,
    *,
    out_int32=False,
    right=False,
    side=None,
    sorter=None,
):
    """Index where each value would be inserted to keep each row sorted (the first such
    place, or the last with right=True / side='right')."""
    xp = array_module(sorted_sequence)
    seq = _arr(sorted_sequence)
    vals = _arr(input, seq)
    if (seq.dtype.kind == "b" or vals.dtype.kind == "b") and (
        seq.ndim <= 1 or seq.shape[:-1] == vals.shape[:-1]
    ):  # else the shape error
        raise NotImplementedError("searchsorted: not implemented for dtype bool")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(
                "side and right can't be set to opposites, got side of left while right was True"
            )
        right = side == "right"
    if sorter is not None:
        seq = xp.take_along_axis(seq, _arr(sorter), -1)
    dtype = int32 if out_int32 else int64
    if seq.ndim <= 1:
        return wrap(xp.searchsorted(seq, vals, side="right" if right else "left").astype(dtype))
    if seq.shape[:-1] != vals.shape[:-1]:
        raise RuntimeError(
            f"torch.searchsorted(): boundaries tensor should be 1 dimension or "
            f"the first N-1 dimensions of boundaries tensor and input value "
            f"tensor must match, but we got boundaries tensor "
            f"{list(seq.shape)} and input value tensor {list(vals.shape)}"
        )
    # (…, K, 1) against (…, 1, N): the count of entries before each value
    cmp = (
        seq[..., None, :] <= vals[..., :, None] if right else seq[..., None, :] < vals[..., :, None]
    )
    return wrap(cmp.sum(-1).astype(dtype))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    b = _arr(boundaries)
    if b.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({b.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def _results(values, inverse, counts, return_inverse, return_counts):
    out = [wrap(values)]
    if return_inverse:
        out.append(wrap(inverse.astype(int64)))
    if return_counts:
        out.append(wrap(counts.astype(int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (or slices along ``dim``), always in ascending order."""
    xp = array_module(input)

    a = input._data
    if dim is None:
        values, inverse, counts = xp.unique(a, return_inverse=True, return_counts=True)
        return _results(values, inverse.reshape(a.shape), counts, return_inverse, return_counts)
    d = _dim(dim, a.ndim, "unique")
    values, inverse, counts = xp.unique(a, return_inverse=True, return_counts=True, axis=d)
    return _results(values, inverse.reshape(-1), counts, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """One value (or slice along ``dim``) per run of equal consecutive ones."""
    xp = array_module(input)

    a = input._data
    if dim is None:
        flat = a.reshape(-1)
        change = flat[1:] != flat[:-1]
        shape = a.shape
    else:
        d = _dim(dim, a.ndim, "unique_consecutive")
        flat = xp.moveaxis(a, d, 0)
        rows = flat.reshape(flat.shape[0], -1)
        change = (rows[1:] != rows[:-1]).any(1)
        shape = (flat.shape[0],)
    starts = xp.concatenate([xp.ones(1, bool), change]) if len(flat) else xp.zeros(0, bool)
    inverse = xp.cumsum(starts) - 1
    first = xp.flatnonzero(starts)
    counts = xp.diff(xp.concatenate([first, xp.full(1, len(flat), first.dtype)]))
    values = flat[first] if dim is None else xp.moveaxis(flat[first], 0, d)
    return _results(values, inverse.reshape(shape), counts, return_inverse, return_counts)


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(argwhere, bincount, histc, nonzero, unique, unique_consecutive)
