"""Max unpooling: the partial inverse of max pooling, placing each value at the flat index
max pooling recorded for it in its (N, C) plane, zeros everywhere else."""

from __future__ import annotations

import math

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.dtypes import int64
from nerve.ops.nn.conv import dims_tuple as conv_tuple
from nerve.tensor import Tensor

__all__ = ["max_unpool1d", "max_unpool2d"]


class MaxUnpool(Function):
    """y[b, indices[b, j]] = x[b, j] on each plane b (y zero elsewhere);
    ∂L/∂x[b, j] = δ[b, indices[b, j]] (a gather of δ at the same indices)."""

    def forward(self, x, indices=None, out_shape=None):
        # (B, L_in) values and indices -> (B, L_out) planes
        b = x.shape[0]
        xp = array_module(x)
        y = xp.zeros((b, math.prod(out_shape[1:])), dtype=x.dtype)
        self.rows = xp.arange(b)[:, None]
        self.idx = indices
        y[self.rows, indices] = x
        return y

    def backward(self, dy):
        return dy[self.rows, self.idx]


def _tuple(v, n: int, name: str, op: str) -> tuple:
    return conv_tuple(v, n, name, op)


def _default_size(x, dims, kernel_size, stride, padding, output_size, op) -> tuple:
    k = _tuple(kernel_size, dims, "kernel_size", op)
    s = k if stride is None else _tuple(stride, dims, "stride", op)
    p = _tuple(padding, dims, "padding", op)
    spatial = tuple(x.shape[-dims:])
    default = tuple((n - 1) * si - 2 * pi + ki for n, si, pi, ki in zip(spatial, s, p, k))
    if output_size is None:
        return default
    size = tuple(
        int(v) for v in (output_size.shape if hasattr(output_size, "shape") else output_size)
    )
    if len(size) == dims + 2:
        size = size[2:]
    if len(size) != dims:
        raise ValueError(
            f"{op}: output_size should be a sequence containing {dims} or "
            f"{dims + 2} elements, but it has a length of '{len(size)}'"
        )
    for d, (o, m) in enumerate(zip(size, default)):
        lo, hi = m - s[d], m + s[d]
        if not lo < o < hi:
            raise ValueError(
                f'{op}: invalid output_size "{size}" (dim {d} must be between {lo} and {hi})'
            )
    return size


def _max_unpool(
    op,
    dims,
    input,
    indices,
    kernel_size,
    stride,
    padding,
    output_size,
):
    x = input
    if x.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"{op}: expected {dims + 1}D or {dims + 2}D input (batch "
            f"dimension optional), but got input of size: {list(x.shape)}"
        )
    idx = indices._data if isinstance(indices, Tensor) else array_module(x).asarray(indices)
    if idx.dtype != int64:
        raise RuntimeError(f"{op}: elements in indices should be type int64 but got: {idx.dtype}")
    if tuple(idx.shape) != tuple(x.shape):
        raise RuntimeError(
            f"{op}: expected shape of indices to be same as that of the input "
            f"tensor ({list(x.shape)}) but got indices tensor with shape: "
            f"{list(idx.shape)}"
        )
    size = _default_size(x, dims, kernel_size, stride, padding, output_size, op)
    plane = math.prod(size)
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = idx.max() if idx.max() >= plane else idx.min()
        raise RuntimeError(
            f"{op}: Found an invalid max index: {bad} (output volumes are of "
            f"size {'x'.join(map(str, size))})"
        )
    lead = tuple(x.shape[:-dims])
    b = math.prod(lead)
    flat = x.reshape(b, -1)  # (*, spatial) -> (B, L_in)
    y = MaxUnpool.apply(flat, indices=idx.reshape(b, -1), out_shape=(b, plane))
    return y.reshape(lead + size)


def max_unpool2d(
    input,
    indices,
    kernel_size,
    stride=None,
    padding=0,
    output_size=None,
):
    """Inverse of max_pool2d: (N, C, H, W) values and indices -> (N, C, H_out, W_out),
    H_out = (H - 1)·stride - 2·padding + kernel_size unless output_size is given."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool1d(
    input,
    indices,
    kernel_size,
    stride=None,
    padding=0,
    output_size=None,
):
    """Inverse of max_pool1d: (N, C, L) -> (N, C, L_out)."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)
