"""Indexing: slices, integer arrays, boolean masks, gather, index_select."""

from __future__ import annotations

import numpy as np

from nerve.autograd.function import Function


def _is_advanced(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, np.ndarray | list) for i in items)


class GetItem(Function):
    """y = x[index];  ∂L/∂x = δ scattered back to the indexed places
    (summed where an integer index repeats)"""

    def forward(self, x, index=None):
        self.shape, self.index = x.shape, index
        try:
            return x[index]
        except IndexError as err:
            raise IndexError(f"index: {err} (tensor of shape {x.shape})") from None

    def backward(self, dy):
        dx = np.zeros(self.shape, dy.dtype)
        if _is_advanced(self.index):
            np.add.at(dx, self.index, dy)
        else:
            dx[self.index] = dy
        return dx

    def backward_graph(self, dy):
        return GetItemGrad.apply(dy, shape=self.shape, index=self.index)


class GetItemGrad(Function):
    """The adjoint of x[index], GetItem's backward as an op of its own (double backward):
    y = zeros(shape) with y[index] += x;  ∂L/∂x = δ[index]"""

    def forward(self, dy, shape=(), index=None):
        self.index = index
        dx = np.zeros(shape, dy.dtype)
        if _is_advanced(index):
            np.add.at(dx, index, dy)
        else:
            dx[index] = dy
        return dx

    def backward(self, g):
        return g[self.index]

    def backward_graph(self, g):
        return GetItem.apply(g, index=self.index)


class Gather(Function):
    """y[i][j][k] = x[i][index[i][j][k]][k] (for dim = 1);
    ∂L/∂x[i][index[i][j][k]][k] += δ[i][j][k]"""

    def forward(self, x, index=None, dim=0):
        self.shape, self.dim = x.shape, dim
        grid = list(np.ogrid[tuple(slice(0, n) for n in index.shape)])
        grid[dim] = index
        self.where = tuple(grid)
        return x[self.where]

    def backward(self, dy):
        dx = np.zeros(self.shape, dy.dtype)
        np.add.at(dx, self.where, dy)
        return dx

    def backward_graph(self, dy):
        return GetItemGrad.apply(dy, shape=self.shape, index=self.where)


class IndexSelect(Function):
    """y = the entries of x at ``index`` along ``dim``;  ∂L/∂x[index[k]] += δ[k]"""

    def forward(self, x, index=None, dim=0):
        self.shape, self.index, self.dim = x.shape, index, dim
        return np.take(x, index, axis=dim)

    def backward(self, dy):
        dx = np.zeros(self.shape, dy.dtype)
        np.add.at(np.moveaxis(dx, self.dim, 0), self.index, np.moveaxis(dy, self.dim, 0))
        return dx

    def backward_graph(self, dy):
        index = (slice(None),) * self.dim + (np.asarray(self.index),)
        return GetItemGrad.apply(dy, shape=self.shape, index=index)


def _dim(d, ndim, op):
    from nerve.tensor import _dim as check

    return check(d, ndim, op)


def _array(index, op: str) -> np.ndarray:
    idx = index._data if hasattr(index, "_data") else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {idx.dtype}")
    return idx


def getitem(input, index):  # noqa: A002 - PyTorch's argument names
    from nerve.tensor import _index

    idx = _index(index)
    if isinstance(idx, list):
        idx = np.asarray(idx)
    if isinstance(idx, np.ndarray) and idx.dtype.kind == "f":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return GetItem.apply(input, index=idx)


def gather(input, dim, index):  # noqa: A002
    idx = _array(index, "gather")
    d = _dim(dim, input.ndim, "gather")
    if idx.ndim != input.ndim:
        raise RuntimeError(f"gather(): Index tensor must have the same number of dimensions as "
                           f"input tensor ({idx.ndim} vs {input.ndim})")
    for i, (a, b) in enumerate(zip(idx.shape, input.shape)):
        if i != d and a > b:
            raise RuntimeError(f"gather(): Size does not match at dimension {i}: index "
                               f"{tuple(idx.shape)}, input {tuple(input.shape)}")
    n = input.shape[d]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise RuntimeError(f"gather(): index {bad} is out of bounds for dimension {d} with "
                           f"size {n}")
    return Gather.apply(input, index=idx, dim=d)


def index_select(input, dim, index):  # noqa: A002
    idx = _array(index, "index_select")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = _dim(dim, input.ndim, "index_select")
    n = input.shape[d] if input.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"index_select(): index out of range in self (size {n} at dim {d})")
    return IndexSelect.apply(input, index=idx.reshape(-1), dim=d)


def masked_fill(input, mask, value):  # noqa: A002
    from nerve.ops.elementwise import where

    m = mask._data if hasattr(mask, "_data") else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(
            f"masked_fill only supports boolean masks, but got mask with dtype {m.dtype}"
        )
    fill = value.item() if hasattr(value, "item") and not isinstance(value, float | int) else value
    return where(m, np.asarray(fill, dtype=input.dtype), input)
