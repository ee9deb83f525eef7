"""More indexing: writes into copies (index_copy, index_put, index_fill, masked_scatter,
select/slice/diagonal_scatter, scatter_reduce, index_reduce), take, take_along_dim, and the
integer-valued ops without gradient (nonzero, argwhere, bincount, histc, bucketize,
searchsorted, unique, unique_consecutive)."""

from __future__ import annotations

import math

from nerve.autograd.function import Function, wrap
from nerve.backend import array_module
from nerve.backend.arrayfns import broadcast_shapes, scatter_add, ufunc_at
from nerve.dtypes import int64
from nerve.dtypes_info import iinfo
from nerve.ops.math.elementwise import need_tensor, where
from nerve.ops.shape.indexing import Gather
from nerve.ops.shape.scatter import _bounds, _check, _places
from nerve.tensor import ops_table
from nerve.tensor import wrap_dim as check

__all__ = [
    "diagonal_scatter", "index_copy", "index_fill", "index_put", "index_reduce",
    "masked_scatter", "scatter_reduce", "select_scatter", "slice_scatter", "take",
    "take_along_dim",
]  # fmt: skip


def _arr(x, like):
    """x's array, or x (a list, a number) as an array on ``like``'s device."""
    return x._data if hasattr(x, "_data") else array_module(like).asarray(x)


def _dim(d, ndim, op):
    return check(d, ndim, op)


class PutAt(Function):
    """y = x, then y[index] = src (accumulate: y[index] += src, repeats adding);
    ∂L/∂x = δ (with the written places zeroed unless accumulating),  ∂L/∂src = δ[index]"""

    def forward(self, x, src, index=None, accumulate=False):
        self.index, self.accumulate = index, accumulate
        y = x.copy()
        if accumulate:
            scatter_add(y, index, src)
        else:
            y[index] = src
        return y

    def backward(self, dy):
        dx = dy
        if not self.accumulate and self.needs_input_grad[0]:
            dx = dy.copy()
            dx[self.index] = 0
        return dx, dy[self.index] if self.needs_input_grad[1] else None


class MaskedScatter(Function):
    """y = x, with the places where mask is True filled by source's first entries in
    row-major order;  ∂L/∂x = δ where mask is False,  ∂L/∂source[:k] = δ[mask]"""

    def forward(self, x, source, mask=None):
        self.mask, self.src_shape = mask, source.shape
        self.k = int(mask.sum())  # a host sync on a device: the count sizes the copy
        y = x.copy()
        y[mask] = source.reshape(-1)[: self.k]
        return y

    def backward(self, dy):
        xp = array_module(dy)
        dx = xp.where(self.mask, 0, dy)
        dsrc = xp.zeros(math.prod(self.src_shape), dy.dtype)
        dsrc[: self.k] = dy[self.mask]
        return dx, dsrc.reshape(self.src_shape)


class ScatterReduce(Function):
    """y = x with src reduced in at index along ``dim`` (sum, prod, mean, amax, amin; x's own
    value joins the reduction when include_self).  With P the place an entry goes to:
    sum: ∂L/∂src = δ[P];  mean: δ[P] / countₚ;  prod: δ[P] · yₚ / src (the product of the
    others, exact with zeros);  amax/amin: δ[P] shared evenly among the entries equal to yₚ.
    ∂L/∂x = δ where nothing is scattered, else the same rule (0 without include_self)."""

    def forward(self, x, src, index=None, dim=0, reduce="sum", include_self=True):
        self.where = _places(index, dim)
        self.reduce, self.include_self = reduce, include_self
        s = src[tuple(slice(0, n) for n in index.shape)]
        self.src, self.src_shape, self.x = s, src.shape, x
        xp = array_module(x)
        hit = xp.zeros(x.shape, bool)
        hit[self.where] = True
        self.hit = hit
        init = {"sum": 0, "mean": 0, "prod": 1, "amax": -math.inf, "amin": math.inf}[reduce]
        y = (
            x.copy()
            if include_self
            else xp.where(
                hit,
                xp.asarray(init, dtype=x.dtype)
                if x.dtype.kind == "f"
                else _int_init(xp, reduce, x.dtype),
                x,
            )
        )
        ufunc = {
            "sum": "add",
            "mean": "add",
            "prod": "multiply",
            "amax": "maximum",
            "amin": "minimum",
        }[reduce]
        ufunc_at(ufunc, y, self.where, s)
        if reduce == "mean":
            count = xp.full(x.shape, 1 if include_self else 0, int64)
            scatter_add(count, self.where, 1)
            self.count = xp.maximum(count, 1)
            y = y / self.count if x.dtype.kind == "f" else y // self.count
            y = y.astype(x.dtype)
        self.y = y
        return y

    def backward(self, dy):
        y, where, s = self.y, self.where, self.src
        xp = array_module(dy)
        keep = ~self.hit | self.include_self
        if self.reduce in ("sum", "mean"):
            g = dy / self.count if self.reduce == "mean" else dy
            dx, ds = xp.where(keep, g, 0), g[where]
        elif self.reduce == "prod":
            ds, dx = self._prod_grads(dy)
        else:
            hits = (self.x == y) & self.hit & self.include_self
            count = hits.astype(dy.dtype)
            scatter_add(count, where, (s == y[where]).astype(dy.dtype))
            g = dy / xp.maximum(count, 1)
            dx = xp.where(~self.hit, dy, xp.where(hits, g, 0))
            ds = xp.where(s == y[where], g[where], 0)
        full = xp.zeros(self.src_shape, dy.dtype)
        full[tuple(slice(0, n) for n in s.shape)] = ds
        return dx, full

    def _prod_grads(self, dy):
        """Π of the others at each place: with zeros counted apart, no division by 0."""
        x, s, where = self.x, self.src, self.where
        xp = array_module(dy)
        own = self.hit & self.include_self
        nz_prod = xp.where(own & (x != 0), x, 1).astype(dy.dtype)
        zeros = (own & (x == 0)).astype(int64)
        ufunc_at("multiply", nz_prod, where, xp.where(s != 0, s, 1))
        scatter_add(zeros, where, (s == 0).astype(int64))
        ds = dy[where] * _others(s, nz_prod[where], zeros[where])
        dx = xp.where(~self.hit, dy, xp.where(own, dy * _others(x, nz_prod, zeros), 0))
        return ds, dx


def _others(v, nz_prod, zeros):
    """Π of the other factors at v's place, from the place's product of nonzero factors
    and its number of zero factors."""
    xp = array_module(v)
    safe = xp.where(v != 0, v, 1)
    return xp.where(
        v != 0, xp.where(zeros == 0, nz_prod / safe, 0), xp.where(zeros == 1, nz_prod, 0)
    )


def _int_init(xp, reduce, dtype):
    info = iinfo(dtype) if dtype.kind in "iu" else None
    if reduce == "amax":
        return xp.asarray(info.min if info else False, dtype=dtype)
    if reduce == "amin":
        return xp.asarray(info.max if info else True, dtype=dtype)
    return xp.asarray(1 if reduce == "prod" else 0, dtype=dtype)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    d, idx = _check("scatter_reduce", input, dim, index, src)
    return ScatterReduce.apply(
        input, src, index=idx, dim=d, reduce=reduce, include_self=include_self
    )


def _vector_index(op, input, dim, index):
    idx = _arr(index, input._data)
    if idx.dtype.kind not in "iu" or idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    d = _dim(dim, input.ndim, op)
    idx = idx.reshape(-1).astype(int64)
    n = input.shape[d] if input.ndim else 1
    try:
        _bounds(op, idx, n, d)
    except RuntimeError as err:  # PyTorch raises IndexError for the index_* family
        raise IndexError(str(err)) from None
    return d, idx % max(n, 1)


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """scatter_reduce with the vector ``index`` spread over source's other dims."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
            f"amin but got {reduce}."
        )
    d, idx = _vector_index("index_reduce", input, dim, index)
    shape = [1] * source.ndim
    shape[d] = -1
    full = array_module(idx).broadcast_to(idx.reshape(shape), tuple(source.shape)).copy()
    return scatter_reduce(input, d, wrap(full), source, reduce, include_self=include_self)


def index_copy(input, dim, index, source):
    d, idx = _vector_index("index_copy", input, dim, index)
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"index_copy_(): self and source expected to have the same dtype, "
            f"but got (self) {input.dtype} and (source) {source.dtype}"
        )
    return PutAt.apply(input, source, index=(slice(None),) * d + (idx,))


def index_fill(input, dim, index, value):
    d, idx = _vector_index("index_fill", input, dim, index)
    xp = array_module(input._data)
    mask = xp.zeros(input.shape[d] if input.ndim else 1, bool)
    mask[idx] = True
    mask = mask.reshape((-1,) + (1,) * (input.ndim - d - 1)) if input.ndim else mask.reshape(())
    if not hasattr(value, "_data"):
        value = wrap(xp.asarray(value, dtype=input.dtype))
    return where(wrap(mask), value.to(input.dtype), input)


def index_put(input, indices, values, accumulate=False):
    index = tuple(
        _arr(i, input._data) if hasattr(i, "_data") or not isinstance(i, slice) else i
        for i in indices
    )
    if values.dtype != input.dtype:
        raise RuntimeError(
            f"Index put requires the source and destination dtypes match, got "
            f"{input.dtype} for the destination and {values.dtype} for the "
            "source."
        )
    target = input._data[index].shape
    try:
        if broadcast_shapes(tuple(values.shape), target) != target:
            raise ValueError
    except ValueError:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(values.shape)} cannot "
            f"be broadcast to indexing result of shape "
            f"{list(input._data[index].shape)}"
        ) from None
    return PutAt.apply(input, values, index=index, accumulate=accumulate)


def masked_scatter(input, mask, source):
    m = array_module(input._data).broadcast_to(_arr(mask, input._data), tuple(input.shape))
    if m.dtype.kind != "b":
        raise RuntimeError(
            f"masked_scatter_ only supports boolean masks, but got mask with dtype {m.dtype}"
        )
    if int(m.sum()) > source.numel():  # a host sync on a device, as torch's check
        raise RuntimeError(
            "masked_scatter: expected source to have at least as many elements as ones in mask"
        )
    return MaskedScatter.apply(input, source, mask=m)


def select_scatter(input, src, dim, index):
    d = _dim(dim, input.ndim, "select_scatter")
    return _scatter_view(input, src, (slice(None),) * d + (int(index),), "select_scatter")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    need_tensor("slice_scatter", src, "src")
    d = _dim(dim, input.ndim, "slice_scatter")
    return _scatter_view(
        input, src, (slice(None),) * d + (slice(start, end, step),), "slice_scatter"
    )


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    n = input.ndim
    a, b = _dim(dim1, n, "diagonal_scatter"), _dim(dim2, n, "diagonal_scatter")
    r, c = input.shape[a], input.shape[b]
    k = max(0, min(r + min(offset, 0), c - max(offset, 0)))
    rows = array_module(input._data).arange(k) - min(offset, 0)
    index = [slice(None)] * n
    index[a], index[b] = rows, rows + offset
    # the diagonal's axis comes first in x[index] when the two arrays are apart, last in torch
    target_last = tuple(input.shape[i] for i in range(n) if i not in (a, b)) + (k,)
    if tuple(src.shape) != target_last:
        raise RuntimeError(
            f"diagonal_scatter: expected src to have a size equal to the slice "
            f"of self. src size = {list(src.shape)}, slice size = "
            f"{list(target_last)}"
        )
    lead = abs(a - b) != 1
    value = src.movedim(-1, 0) if lead else src.movedim(-1, min(a, b))
    return PutAt.apply(input, value, index=tuple(index))


def _scatter_view(input, src, index, op):
    shape = input._data[index].shape
    if tuple(src.shape) != shape:
        raise RuntimeError(
            f"{op}: expected src to have a size equal to the slice of self. "
            f"src size = {list(src.shape)}, slice size = {list(shape)}"
        )
    return PutAt.apply(input, src, index=index)


def take(input, index):
    idx = _arr(index, input._data)
    n = input.numel()
    # a host sync on a device; torch raises there too (a device-side assert on CUDA)
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx[(idx >= n) | (idx < -n)]
        raise IndexError(
            f"out of range: tried to access index {int(bad[0])} on a tensor of {n} elements."
        )
    return input.reshape(-1)[idx % max(n, 1)]


def take_along_dim(input, indices, dim=None):
    idx = _arr(indices, input._data)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            f"torch.take_along_dim(): dtype of indices should be int64 but got {idx.dtype} instead"
        )
    if dim is None:
        return take(input, wrap(idx.reshape(-1)))
    d = _dim(dim, input.ndim, "take_along_dim")
    if idx.ndim != input.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same "
            f"number of dimensions, but got {input.ndim} dimensions for input, "
            f"and {idx.ndim} dimensions for indices"
        )
    shape = list(
        broadcast_shapes(*[tuple(s[:d] + s[d + 1 :]) for s in (tuple(input.shape), idx.shape)])
    )
    x_shape = tuple(shape[:d] + [input.shape[d]] + shape[d:])
    i_shape = tuple(shape[:d] + [idx.shape[d]] + shape[d:])
    x = input if tuple(input.shape) == x_shape else input.expand(x_shape)
    n = input.shape[d]
    xp = array_module(idx)
    _bounds("take_along_dim", xp.where(idx < 0, idx + n, idx), n, d)
    return Gather.apply(x, index=xp.broadcast_to(idx % max(n, 1), i_shape), dim=d)


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(
    diagonal_scatter,
    index_copy,
    index_fill,
    index_put,
    index_reduce,
    masked_scatter,
    scatter_reduce,
    select_scatter,
    slice_scatter,
    take,
    take_along_dim,
)
