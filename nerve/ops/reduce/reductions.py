"""Reductions over all elements or over the given dimensions."""

from __future__ import annotations

import builtins
import math
import numbers
from collections import namedtuple

from nerve.autograd.function import Function, wrap
from nerve.backend import array_module
from nerve.backend.arrayfns import errstate
from nerve.dtypes import get_default_dtype, int32, int64, is_floating
from nerve.ops.math.elementwise import Exp
from nerve.ops.math.elementwise_extrema import Maximum, Minimum
from nerve.ops.shape.rearrange import Expand, Reshape
from nerve.tensor import ops_table
from nerve.tensor import wrap_dim as _dim

__all__ = ["amax", "amin", "logsumexp", "max", "mean", "min", "prod", "std", "sum", "var"]

MinMax = namedtuple("MinMax", ["values", "indices"])


def _expand(dy, x_shape, axis, keepdim):
    """Give a reduced gradient back its reduced axes so that it broadcasts over x."""
    if axis is not None and not keepdim:
        dy = array_module(dy).expand_dims(dy, axis)
    elif axis is None and not keepdim:
        dy = dy.reshape((1,) * len(x_shape))
    return dy


def _expand_graph(dy, x_shape, axis, keepdim):
    """``_expand`` as nerve ops on a Tensor, broadcast to x's shape (double backward)."""
    if not keepdim:
        kept = list(x_shape)
        for a in range(len(x_shape)) if axis is None else axis:
            kept[a] = 1
        dy = Reshape.apply(dy, shape=tuple(kept))
    return Expand.apply(dy, shape=tuple(x_shape))


class Sum(Function):
    """y = Σ x over the axes;  ∂L/∂x = δ broadcast back over the summed axes"""

    def forward(self, x, axis=None, keepdim=False):
        self.shape, self.axis, self.keepdim = x.shape, axis, keepdim
        return x.sum(axis=axis, keepdims=keepdim)

    def backward(self, dy):
        dx = array_module(dy).empty(self.shape, dy.dtype)
        dx[...] = _expand(dy, self.shape, self.axis, self.keepdim)
        return dx

    def backward_graph(self, dy):
        return _expand_graph(dy, self.shape, self.axis, self.keepdim)


class Mean(Function):
    """y = (1/n) Σ x over the axes;  ∂L/∂x = δ / n broadcast back"""

    def forward(self, x, axis=None, keepdim=False):
        self.shape, self.axis, self.keepdim = x.shape, axis, keepdim
        self.n = x.size if axis is None else math.prod(x.shape[a] for a in axis)
        return x.mean(axis=axis, keepdims=keepdim)

    def backward(self, dy):
        g = _expand(dy, self.shape, self.axis, self.keepdim) / self.n
        return array_module(g).broadcast_to(g, self.shape)

    def backward_graph(self, dy):
        return _expand_graph(dy, self.shape, self.axis, self.keepdim) / self.n


class Var(Function):
    """y = Σ (x - x̄)² / (n - c) over the axes (c the correction);
    ∂L/∂x = δ · 2 (x - x̄) / (n - c)"""

    def forward(self, x, axis=None, correction=1, keepdim=False):
        self.shape, self.axis, self.keepdim = x.shape, axis, keepdim
        n = x.size if axis is None else math.prod(x.shape[a] for a in axis)
        self.centered = x - x.mean(axis=axis, keepdims=True)
        self.denom = builtins.max(n - correction, 0)  # this module shadows max
        with errstate(array_module(x), divide="ignore", invalid="ignore"):
            return (self.centered**2).sum(axis=axis, keepdims=keepdim) / self.denom

    def backward(self, dy):
        xp = array_module(dy)
        with errstate(xp, divide="ignore", invalid="ignore"):
            scale = 2 / xp.asarray(self.denom, dtype=dy.dtype)
            return _expand(dy, self.shape, self.axis, self.keepdim) * self.centered * scale

    def backward_graph(self, dy):
        x = self.parents[0]
        centered = x - Mean.apply(x, axis=self.axis, keepdim=True)
        xp = array_module(dy._data)
        with errstate(xp, divide="ignore", invalid="ignore"):
            scale = 2 / xp.asarray(self.denom, dtype=dy.dtype)
        return _expand_graph(dy, self.shape, self.axis, self.keepdim) * centered * scale


class Amax(Function):
    """y = max x over the axes;  δ is shared evenly among the elements equal to the max"""

    reduce = "max"

    def forward(self, x, axis=None, keepdim=False):
        self.x, self.axis, self.keepdim = x, axis, keepdim
        if x.size == 0:
            raise ValueError("cannot reduce an empty tensor")
        reduce = getattr(array_module(x), self.reduce)
        self.y = reduce(x, axis=axis, keepdims=True)
        return self.y if keepdim else reduce(x, axis=axis, keepdims=False)

    def backward(self, dy):
        hit = self.x == self.y
        count = hit.sum(axis=self.axis, keepdims=True)
        return _expand(dy, self.x.shape, self.axis, self.keepdim) * hit / count

    def backward_graph(self, dy):
        hit = self.x == self.y
        share = hit / hit.sum(axis=self.axis, keepdims=True)
        return _expand_graph(dy, self.x.shape, self.axis, self.keepdim) * share.astype(dy.dtype)


class Amin(Amax):
    """y = min x over the axes;  δ is shared evenly among the elements equal to the min"""

    reduce = "min"


class MaxDim(Function):
    """(values, indices) = max of x along one dim;  δ goes to the arg-max element"""

    pick = "argmax"

    def forward(self, x, dim=0, keepdim=False):
        if x.shape and x.shape[dim] == 0:
            raise ValueError(f"cannot reduce over an empty dimension {dim}")
        self.shape, self.dim, self.keepdim = x.shape, dim, keepdim
        xp = array_module(x)
        if x.ndim:
            self.idx = xp.expand_dims(getattr(xp, self.pick)(x, axis=dim), dim)
        else:
            self.idx = xp.zeros((), int64)
        values = xp.take_along_axis(x, self.idx, dim) if x.ndim else x
        if not keepdim and x.ndim:
            values = values.squeeze(dim)
        return values

    def backward(self, dy):
        if not self.shape:
            return dy
        xp = array_module(dy)
        dx = xp.zeros(self.shape, dy.dtype)
        g = dy if self.keepdim else xp.expand_dims(dy, self.dim)
        xp.put_along_axis(dx, self.idx, g, self.dim)
        return dx

    def backward_graph(self, dy):
        if not self.shape:
            return dy
        xp = array_module(self.idx)
        onehot = xp.zeros(self.shape, dy.dtype)
        xp.put_along_axis(onehot, self.idx, 1, self.dim)
        return _expand_graph(dy, self.shape, (self.dim,), self.keepdim) * onehot

    def indices(self):
        idx = self.idx.astype(int64)
        return idx if self.keepdim or not self.shape else idx.squeeze(self.dim)


class MinDim(MaxDim):
    """(values, indices) = min of x along one dim;  δ goes to the arg-min element"""

    pick = "argmin"


class Prod(Function):
    """y = Π x over an axis (or all);  ∂L/∂xᵢ = δ · Π_{j≠i} xⱼ

    The products of the others come from exclusive cumulative products from both
    sides, so zeros in x are handled exactly (no division by x)."""

    def forward(self, x, axis=None, keepdim=False):
        self.x, self.axis, self.keepdim = x, axis, keepdim
        return x.prod(axis=axis, keepdims=keepdim)

    def backward(self, dy):
        x = self.x
        xp = array_module(x)
        flat = x.reshape(-1) if self.axis is None else x
        ax = 0 if self.axis is None else self.axis[0]
        ones = xp.ones_like(xp.take(flat, xp.arange(1), axis=ax))
        left = xp.cumprod(xp.concatenate([ones, flat], axis=ax), axis=ax)
        left = xp.take(left, xp.arange(flat.shape[ax]), axis=ax)
        rflat = xp.flip(flat, axis=ax)
        right = xp.cumprod(xp.concatenate([ones, rflat], axis=ax), axis=ax)
        right = xp.flip(xp.take(right, xp.arange(flat.shape[ax]), axis=ax), axis=ax)
        others = (left * right).reshape(x.shape)
        return _expand(dy, x.shape, self.axis, self.keepdim) * others


class LogSumExp(Function):
    """y = m + ln Σ e^(x - m), m = max x;  ∂L/∂x = δ · e^(x - y)  (a softmax)"""

    def forward(self, x, axis=None, keepdim=False):
        self.x, self.axis, self.keepdim = x, axis, keepdim
        xp = array_module(x)
        m = x.max(axis=axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        with errstate(xp, divide="ignore"):  # all -inf gives log 0 = -inf, as it should
            y = xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True)) + m
        self.y = y
        return y if keepdim else xp.squeeze(y, axis=axis)

    def backward(self, dy):
        g = _expand(dy, self.x.shape, self.axis, self.keepdim)
        return g * array_module(g).exp(self.x - self.y)

    def backward_graph(self, dy):
        x = self.parents[0]
        y = LogSumExp.apply(x, axis=self.axis, keepdim=True)
        return _expand_graph(dy, self.x.shape, self.axis, self.keepdim) * Exp.apply(x - y)


def _axes(x, dim, op: str):
    """``dim`` (int, tuple, list or None) as a tuple of non-negative axes, or None."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return None
    axes = tuple(_dim(d, x.ndim, op) for d in dims)
    if x.ndim == 0:
        return None
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}: dim {dims} appears multiple times in the list of dims")
    return axes


def _need_float(x, op: str) -> None:
    if not is_floating(x.dtype):
        raise RuntimeError(
            f"{op}(): could not infer output dtype. Input dtype must be a floating point "
            f"dtype. Got: {x.dtype}"
        )


def sum(input, dim=None, keepdim=False, dtype=None):  # noqa: A001, A002 - PyTorch's names
    x = input if dtype is None else input.to(dtype)
    if x.dtype.kind in "bu" or x.dtype == int32:
        x = x.long()
    return Sum.apply(x, axis=_axes(x, dim, "sum"), keepdim=keepdim)


def mean(input, dim=None, keepdim=False, dtype=None):
    x = input if dtype is None else input.to(dtype)
    _need_float(x, "mean")
    return Mean.apply(x, axis=_axes(x, dim, "mean"), keepdim=keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    _need_float(input, "var")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return Var.apply(input, axis=_axes(input, dim, "var"), correction=correction, keepdim=keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    _need_float(input, "std")
    return var(input, dim, unbiased, keepdim, correction=correction).sqrt()


def amax(input, dim=(), keepdim=False):
    return Amax.apply(input, axis=_axes(input, dim, "amax"), keepdim=keepdim)


def amin(input, dim=(), keepdim=False):
    return Amin.apply(input, axis=_axes(input, dim, "amin"), keepdim=keepdim)


def _minmax(fn_all, fn_dim, op, input, dim, keepdim, other):
    if other is not None:
        return (Maximum if op == "max" else Minimum).apply(input, other)
    if dim is None:
        return fn_all.apply(input, axis=None, keepdim=False)
    if isinstance(dim, numbers.Integral):
        dim = int(dim)
    if not isinstance(dim, int):
        if not hasattr(dim, "_data"):  # max(x, 2.5): neither a dim nor a tensor
            raise TypeError(
                f"{op}() received an invalid combination of arguments: dim must "
                f"be an int or other a Tensor, got {type(dim).__name__}"
            )
        other, dim = dim, None
        return _minmax(fn_all, fn_dim, op, input, None, keepdim, other)
    d = _dim(dim, input.ndim, op) if input.ndim else 0
    values = fn_dim.apply(input, dim=d, keepdim=keepdim)
    node = values._ctx
    if node is None:  # no graph recorded: recompute the indices directly
        xp = array_module(input._data)
        pick = xp.argmax if op == "max" else xp.argmin
        idx = pick(input._data, axis=d, keepdims=keepdim) if input.ndim else xp.zeros((), int64)
        return MinMax(values, wrap(xp.asarray(idx, dtype=int64)))
    return MinMax(values, wrap(node.indices()))


def max(input, dim=None, keepdim=False, *, other=None):  # noqa: A001, A002
    return _minmax(Amax, MaxDim, "max", input, dim, keepdim, other)


def min(input, dim=None, keepdim=False, *, other=None):  # noqa: A001, A002
    return _minmax(Amin, MinDim, "min", input, dim, keepdim, other)


def prod(input, dim=None, keepdim=False, dtype=None):
    if dim is not None and not isinstance(dim, numbers.Integral):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    x = input if dtype is None else input.to(dtype)
    if x.dtype.kind in "bu" or x.dtype == int32:
        x = x.long()  # as sum: integer products are int64
    return Prod.apply(x, axis=_axes(x, dim, "prod"), keepdim=keepdim)


def logsumexp(input, dim, keepdim=False):
    if input.dtype.kind in "biu":  # integers and bools reduce in the default float dtype
        return logsumexp(input.to(get_default_dtype()), dim, keepdim)
    return LogSumExp.apply(input, axis=_axes(input, dim, "logsumexp"), keepdim=keepdim)


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(amax, amin, logsumexp, max, mean, min, prod, std, sum, var)
