"""Scatters: write or add values at indexed places (scatter, scatter_add, index_add),
and one_hot, a scatter of ones."""

from __future__ import annotations

from nerve.autograd.function import Function, wrap
from nerve.backend import array_module
from nerve.backend.arrayfns import broadcast_shapes
from nerve.backend.arrayfns import scatter_add as add_at
from nerve.dtypes import int64
from nerve.tensor import Tensor, ops_table
from nerve.tensor import wrap_dim as _dim

__all__ = ["index_add", "masked_select", "one_hot", "scatter", "scatter_add"]


def _places(index, dim: int) -> tuple:
    """The places index addresses: index[i][j][k] stands for (i, index[i][j][k], k) at
    dim = 1, an open grid over the index's shape with the index on ``dim``."""
    xp = array_module(index)
    # axis k's positions shaped (1, …, n_k, …, 1), broadcasting against the index
    grid = [
        xp.arange(n).reshape((1,) * k + (n,) + (1,) * (index.ndim - k - 1))
        for k, n in enumerate(index.shape)
    ]
    grid[dim] = index
    return tuple(grid)


def _crop(src, shape: tuple):
    """The leading corner of ``src`` that the index uses (src may be larger)."""
    return src[tuple(slice(0, n) for n in shape)] if src.ndim else src


class Scatter(Function):
    """y = x, then y[i][index[i][j][k]][k] = src[i][j][k] (dim = 1);
    ∂L/∂x = δ with the overwritten places zeroed,
    ∂L/∂src[i][j][k] = δ[i][index[i][j][k]][k]  (0 outside the index's shape)"""

    def forward(self, x, src, index=None, dim=0):
        self.where, self.src_shape = _places(index, dim), src.shape
        self.index_shape = index.shape
        y = x.copy()
        y[self.where] = _crop(src, index.shape)
        return y

    def backward(self, dy):
        dx = dsrc = None
        if self.needs_input_grad[0]:
            dx = dy.copy()
            dx[self.where] = 0
        if self.needs_input_grad[1]:
            dsrc = _uncrop(dy[self.where], self.src_shape, self.index_shape)
        return dx, dsrc


class ScatterAdd(Function):
    """y = x, then y[i][index[i][j][k]][k] += src[i][j][k] (dim = 1; repeated places add);
    ∂L/∂x = δ,  ∂L/∂src[i][j][k] = δ[i][index[i][j][k]][k]"""

    def forward(self, x, src, index=None, dim=0):
        self.where, self.src_shape = _places(index, dim), src.shape
        self.index_shape = index.shape
        y = x.copy()
        add_at(y, self.where, _crop(src, index.shape))
        return y

    def backward(self, dy):
        dsrc = None
        if self.needs_input_grad[1]:
            dsrc = _uncrop(dy[self.where], self.src_shape, self.index_shape)
        return dy, dsrc


class IndexAdd(Function):
    """y = x, then y[…, index[j], …] += α · src[…, j, …] along ``dim`` (repeats add);
    ∂L/∂x = δ,  ∂L/∂src[…, j, …] = α · δ[…, index[j], …]"""

    def forward(self, x, src, index=None, dim=0, alpha=1):
        self.index, self.dim, self.alpha = index, dim, alpha
        y = x.copy()
        xp = array_module(x)
        add = src if alpha == 1 else src * xp.asarray(alpha, dtype=src.dtype)
        add_at(xp.moveaxis(y, dim, 0), index, xp.moveaxis(add, dim, 0))
        return y

    def backward(self, dy):
        dsrc = None
        if self.needs_input_grad[1]:
            xp = array_module(dy)
            dsrc = xp.take(dy, self.index, axis=self.dim)
            if self.alpha != 1:
                dsrc = dsrc * xp.asarray(self.alpha, dtype=dy.dtype)
        return dy, dsrc


def _uncrop(g, shape, index_shape):
    if shape == index_shape:
        return g
    out = array_module(g).zeros(shape, g.dtype)
    out[tuple(slice(0, n) for n in index_shape)] = g
    return out


def _check(op: str, input, dim, index, src=None):  # noqa: A002 - PyTorch's argument names
    """Validate as PyTorch does and return (axis, index array)."""
    idx = index._data if hasattr(index, "_data") else array_module(input._data).asarray(index)
    if idx.dtype != int64:
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {idx.dtype}")
    d = _dim(dim, input.ndim, op)
    if idx.ndim != input.ndim and idx.size:
        raise RuntimeError(
            f"{op}(): Index tensor must have the same number of dimensions as "
            f"self tensor ({idx.ndim} vs {input.ndim})"
        )
    if src is not None and src.dtype != input.dtype:
        raise RuntimeError(
            f"{op}(): Expected self.dtype to be equal to src.dtype ({input.dtype} vs {src.dtype})"
        )
    for i, n in enumerate(idx.shape):
        if (i != d and n > input.shape[i]) or (src is not None and n > src.shape[i]):
            raise RuntimeError(
                f"{op}(): Expected index {tuple(idx.shape)} to be smaller than "
                f"self {tuple(input.shape)} apart from dimension {d}"
                + (
                    f" and to be smaller size than src {tuple(src.shape)}"
                    if src is not None
                    else ""
                )
            )
    _bounds(op, idx, input.shape[d] if input.ndim else 1, d)
    return d, idx


def _bounds(op, idx, n, d):
    # a host sync on a device; torch raises there too (a device-side assert on CUDA)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise RuntimeError(f"{op}(): index {bad} is out of bounds for dimension {d} with size {n}")


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``src`` (a tensor, or a number ``value``) written at the
    places ``index`` addresses along ``dim``. reduce='add' adds instead of writing."""
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src  # scatter(dim, index, 2.5): PyTorch's value overload
    if reduce is not None:
        if reduce != "add":
            raise NotImplementedError(f"scatter: reduce={reduce!r} is not supported ('add' is)")
        if src is None:
            shape = index.shape if hasattr(index, "shape") else (len(index),)
            src = wrap(array_module(input._data).full(shape, value, input.dtype))
        return scatter_add(input, dim, index, src)
    if src is None and value is None:
        raise TypeError("scatter() missing 1 required argument: 'src' or 'value'")
    d, idx = _check("scatter", input, dim, index, src)
    if src is None:
        value = array_module(idx).asarray(value, dtype=input.dtype)
        return Scatter.apply(input, value, index=idx, dim=d)
    return Scatter.apply(input, src, index=idx, dim=d)


def scatter_add(input, dim, index, src):
    d, idx = _check("scatter_add", input, dim, index, src)
    return ScatterAdd.apply(input, src, index=idx, dim=d)


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of ``input`` with α · ``source``'s slices added at ``index`` along ``dim``."""
    idx = index._data if hasattr(index, "_data") else array_module(input._data).asarray(index)
    if idx.dtype.kind not in "iu" or idx.ndim > 1:
        raise RuntimeError(
            f"index_add_(): Index is supposed to be a vector of integers, got "
            f"dtype {idx.dtype} and shape {tuple(idx.shape)}"
        )
    d = _dim(dim, input.ndim, "index_add")
    idx = idx.reshape(-1)
    expect = tuple(input.shape[:d]) + (idx.size,) + tuple(input.shape[d + 1 :])
    if tuple(source.shape) != expect and input.ndim:
        raise RuntimeError(
            f"index_add_(): source of shape {tuple(source.shape)} does not "
            f"match {expect} (self {tuple(input.shape)}, {idx.size} indices "
            f"along dim {d})"
        )
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"index_add_(): self ({input.dtype}) and source ({source.dtype}) "
            "must have the same scalar type"
        )
    _bounds("index_add", idx, input.shape[d] if input.ndim else 1, d)
    return IndexAdd.apply(input, source, index=idx, dim=d, alpha=alpha)


def one_hot(tensor, num_classes=-1):
    """An int64 tensor of shape (*tensor.shape, num_classes) with 1 at each class index
    (num_classes=-1: one more than the largest index)."""

    idx = tensor._data
    if idx.dtype != int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if idx.size and idx.min() < 0:
        raise RuntimeError("one_hot: Class values must be non-negative.")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("one_hot: Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size and idx.max() >= num_classes:
        raise RuntimeError(
            f"one_hot: Class values must be smaller than num_classes "
            f"({num_classes}), got {int(idx.max())}."
        )
    # (…,) vs (num_classes,) broadcast compare -> (…, num_classes)
    xp = array_module(idx)
    return wrap((idx[..., None] == xp.arange(num_classes)).astype(int64))


def masked_select(input, mask):
    """The entries of ``input`` where the (broadcast) bool ``mask`` is True, as 1-D."""
    from nerve.ops.shape.rearrange import broadcast_to

    xp = array_module(input._data)
    m = mask._data if hasattr(mask, "_data") else xp.asarray(mask)
    if m.dtype.kind != "b":
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {m.dtype}")
    try:
        shape = broadcast_shapes(tuple(input.shape), m.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_select: the mask of shape {m.shape} does not broadcast "
            f"with the input of shape {tuple(input.shape)}"
        ) from None
    x = input if tuple(input.shape) == shape else broadcast_to(input, shape)
    return x[xp.broadcast_to(m, shape)]


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(index_add, masked_select, scatter, scatter_add)
