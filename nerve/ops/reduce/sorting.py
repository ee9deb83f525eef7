"""Sorting and selection: sort, argsort, topk, kthvalue.

Each op's wrapper finds the permutation (indices) with NumPy; the Function takes the
values at those indices, so its gradient goes back to the places they came from."""

from __future__ import annotations

from collections import namedtuple

from nerve.autograd.function import Function, wrap
from nerve.backend import array_module
from nerve.ops.linalg.linear_map import LinearMap, frozen
from nerve.tensor import ops_table
from nerve.tensor import wrap_dim as _dim

__all__ = ["argsort", "kthvalue", "msort", "sort", "topk"]

# PyTorch returns torch.return_types.<op>(values=..., indices=...)
SortResult = namedtuple("sort", ["values", "indices"])
TopKResult = namedtuple("topk", ["values", "indices"])
KthValueResult = namedtuple("kthvalue", ["values", "indices"])


class _TakeAlong(Function):
    """Shared backward: y = x at ``index`` along ``dim`` (the indices of one row are
    distinct), so ∂L/∂x is δ put back at those indices and 0 elsewhere."""

    def _take(self, x, index, dim):
        xp = array_module(x)
        self.shape, self.index, self.dim = x.shape, index, dim
        return xp.take_along_axis(x, index, axis=dim)

    def backward(self, dy):
        xp = array_module(dy)
        dx = xp.zeros(self.shape, dy.dtype)
        xp.put_along_axis(dx, self.index, dy.reshape(self.index.shape), axis=self.dim)
        return dx

    def backward_graph(self, dy):
        """The backward puts δ back at the indices; its adjoint takes them out again."""
        xp = array_module(dy)
        twin, index, dim, shape = frozen(self), self.index, self.dim, tuple(dy.shape)
        return LinearMap.apply(
            dy,
            map=twin.backward,
            adjoint=lambda g: xp.take_along_axis(g, index, axis=dim).reshape(shape),
        )


class Sort(_TakeAlong):
    """y = x reordered along ``dim`` by its sorting permutation π: yᵢ = x_π(i);
    ∂L/∂x_π(i) = δᵢ"""

    def forward(self, x, index=None, dim=-1):
        return self._take(x, index, dim)


class TopK(_TakeAlong):
    """y = the k largest (or smallest) entries of x along ``dim``, yᵢ = x_π(i) for the
    first k positions of the permutation π;  ∂L/∂x_π(i) = δᵢ, 0 for the entries left out"""

    def forward(self, x, index=None, dim=-1):
        return self._take(x, index, dim)


class KthValue(_TakeAlong):
    """y = the k-th smallest entry of x along ``dim``, x_π(k);  ∂L/∂x_π(k) = δ, 0 elsewhere"""

    def forward(self, x, index=None, dim=-1, keepdim=False):
        xp = array_module(x)
        y = self._take(x, index, dim)
        return y if keepdim else xp.squeeze(y, axis=dim)


def _argsort(x, axis: int, descending: bool):
    """A stable sorting permutation (NaN counts as the largest value, as in PyTorch).

    Descending and stable: sort the reversed row ascending and reverse the result, so
    equal values keep their original order."""
    xp = array_module(x)
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    rev = xp.argsort(xp.flip(x, axis), axis=axis, kind="stable")
    return n - 1 - xp.flip(rev, axis)


def _prepare(input, dim, op: str):  # noqa: A002 - PyTorch's argument names
    """(input as at least 1-D, the axis, whether it was 0-d)."""
    d = _dim(dim, input.ndim, op)
    if input.ndim == 0:
        return input.reshape(1), 0, True
    return input, d, False


def sort(input, dim=-1, descending=False, stable=False):
    """Sorted values and their original indices along ``dim`` (always a stable sort)."""
    x, d, scalar = _prepare(input, dim, "sort")
    idx = _argsort(x._data, d, descending)
    values = Sort.apply(x, index=idx, dim=d)
    if scalar:
        return SortResult(values.reshape(()), wrap(idx.reshape(())))
    return SortResult(values, wrap(idx))


def argsort(input, dim=-1, descending=False, stable=False):
    x, d, scalar = _prepare(input, dim, "argsort")
    idx = _argsort(x._data, d, descending)
    return wrap(idx.reshape(()) if scalar else idx)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The k largest (smallest with largest=False) entries along ``dim`` and their indices,
    in sorted order (also with sorted=False)."""
    xp = array_module(input)
    x, d, scalar = _prepare(input, dim, "topk")
    if x.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    n = x.shape[d]
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: selected index k out of range (k={k}, size {n} along dim {d})")
    a = x._data
    if 0 < k < n // 4:
        # partition first, then sort only the k picked entries
        part = xp.argpartition(a, n - k if largest else k - 1, axis=d)
        part = xp.take(part, xp.arange(n - k, n) if largest else xp.arange(k), axis=d)
        order = _argsort(xp.take_along_axis(a, part, axis=d), d, largest)
        idx = xp.take_along_axis(part, order, axis=d)
    else:
        idx = xp.take(_argsort(a, d, largest), xp.arange(k), axis=d)
    values = TopK.apply(x, index=idx, dim=d)
    if scalar:
        return TopKResult(values.reshape(()), wrap(idx.reshape(())))
    return TopKResult(values, wrap(idx))


def kthvalue(input, k, dim=-1, keepdim=False):
    """The k-th smallest entry (k counts from 1) along ``dim`` and its index."""
    xp = array_module(input)
    x, d, scalar = _prepare(input, dim, "kthvalue")
    if x.dtype.kind == "b":
        raise NotImplementedError("kthvalue: not implemented for dtype bool")
    n = x.shape[d]
    if not 1 <= k <= n:
        raise RuntimeError(
            f"kthvalue(): selected number k out of range for dimension {d} (k={k}, size {n})"
        )
    part = xp.argpartition(x._data, k - 1, axis=d)
    idx = xp.take(part, xp.arange(k - 1, k), axis=d)  # keeps the axis: (…, 1, …)
    values = KthValue.apply(x, index=idx, dim=d, keepdim=keepdim or scalar)
    if scalar:
        return KthValueResult(values.reshape(()), wrap(idx.reshape(())))
    return KthValueResult(values, wrap(idx if keepdim else xp.squeeze(idx, axis=d)))


def msort(input):
    return sort(input, dim=0).values


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(argsort, kthvalue, msort, sort, topk)
