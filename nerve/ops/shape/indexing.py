"""Indexing: slices, integer arrays, boolean masks, gather, index_select."""

from __future__ import annotations

from nerve.autograd.function import Function
from nerve.backend import MODULES_OF, array_module, is_device_array, same_module
from nerve.backend.arrayfns import scatter_add
from nerve.ops.math.elementwise import where
from nerve.ops.shape.scatter import _places
from nerve.tensor import index_arrays as _index
from nerve.tensor import ops_table
from nerve.tensor import wrap_dim as check

__all__ = ["gather", "index_select", "masked_fill"]


def _is_advanced(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(type(i) in MODULES_OF or isinstance(i, list) for i in items)


class GetItem(Function):
    """y = x[index];  ∂L/∂x = δ scattered back to the indexed places
    (summed where an integer index repeats)"""

    bf16_native = True  # moves elements only: runs on bfloat16 as it is
    _view_op = True  # its output may be the input's memory: nerve/autograd/versions.py

    def forward(self, x, index=None):
        self.shape, self.index = x.shape, index
        try:
            return x[index]
        except IndexError as err:
            raise IndexError(f"index: {err} (tensor of shape {x.shape})") from None

    def backward(self, dy):
        dx = array_module(dy).zeros(self.shape, dy.dtype)
        if _is_advanced(self.index):
            scatter_add(dx, self.index, dy)
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
        dx = array_module(dy).zeros(shape, dy.dtype)
        if _is_advanced(index):
            scatter_add(dx, index, dy)
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
        self.where = _places(index, dim)
        return x[self.where]

    def backward(self, dy):
        dx = array_module(dy).zeros(self.shape, dy.dtype)
        scatter_add(dx, self.where, dy)
        return dx

    def backward_graph(self, dy):
        return GetItemGrad.apply(dy, shape=self.shape, index=self.where)


class IndexSelect(Function):
    """y = the entries of x at ``index`` along ``dim``;  ∂L/∂x[index[k]] += δ[k]"""

    def forward(self, x, index=None, dim=0):
        self.shape, self.index, self.dim = x.shape, index, dim
        return array_module(x).take(x, index, axis=dim)

    def backward(self, dy):
        xp = array_module(dy)
        dx = xp.zeros(self.shape, dy.dtype)
        scatter_add(xp.moveaxis(dx, self.dim, 0), self.index, xp.moveaxis(dy, self.dim, 0))
        return dx

    def backward_graph(self, dy):
        index = (slice(None),) * self.dim + (self.index,)
        return GetItemGrad.apply(dy, shape=self.shape, index=index)


def _dim(d, ndim, op):
    return check(d, ndim, op)


def _array(index, op: str, like):
    idx = index._data if hasattr(index, "_data") else array_module(like).asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {idx.dtype}")
    return idx


def _on(i, like):
    return same_module(i, like) if type(i) in MODULES_OF and not is_device_array(i) else i


def getitem(input, index):  # noqa: A002 - PyTorch's argument names
    idx = _index(index)
    xp = array_module(input._data)
    if isinstance(idx, list):
        idx = xp.asarray(idx)
    if xp is not array_module():  # a host index of a device tensor moves over, as in torch
        idx = (
            tuple(_on(i, input._data) for i in idx)
            if isinstance(idx, tuple)
            else _on(idx, input._data)
        )
    if type(idx) in MODULES_OF and idx.dtype.kind == "f":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return GetItem.apply(input, index=idx)


def gather(input, dim, index):
    idx = _array(index, "gather", input._data)
    d = _dim(dim, input.ndim, "gather")
    if idx.ndim != input.ndim:
        raise RuntimeError(
            f"gather(): Index tensor must have the same number of dimensions as "
            f"input tensor ({idx.ndim} vs {input.ndim})"
        )
    for i, (a, b) in enumerate(zip(idx.shape, input.shape)):
        if i != d and a > b:
            raise RuntimeError(
                f"gather(): Size does not match at dimension {i}: index "
                f"{tuple(idx.shape)}, input {tuple(input.shape)}"
            )
    n = input.shape[d]
    # a host sync on a device; torch raises there too (a device-side assert on CUDA)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise RuntimeError(
            f"gather(): index {bad} is out of bounds for dimension {d} with size {n}"
        )
    return Gather.apply(input, index=idx, dim=d)


def index_select(input, dim, index):
    idx = _array(index, "index_select", input._data)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = _dim(dim, input.ndim, "index_select")
    n = input.shape[d] if input.ndim else 1
    # a host sync on a device; torch raises there too (a device-side assert on CUDA)
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"index_select(): index out of range in self (size {n} at dim {d})")
    return IndexSelect.apply(input, index=idx.reshape(-1), dim=d)


def masked_fill(input, mask, value):
    xp = array_module(input._data)
    m = mask._data if hasattr(mask, "_data") else xp.asarray(mask)
    if m.dtype.kind != "b":
        raise RuntimeError(
            f"masked_fill only supports boolean masks, but got mask with dtype {m.dtype}"
        )
    if hasattr(value, "_data"):  # a 0-d tensor stays on its device (no .item() sync)
        if value.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but "
                f"got tensor with {value.ndim} dimension(s)."
            )
        fill = value._data.astype(input.dtype)
    else:
        fill = xp.asarray(value.item() if hasattr(value, "item") else value, dtype=input.dtype)
    return where(m, fill, input)


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(gather, getitem, index_select, masked_fill)
