"""Adaptive pooling over the last 1, 2 or 3 axes: a fixed output size whatever the input
size, output bin i of an axis of length n covering [⌊i·n/out⌋, ⌈(i+1)·n/out⌉), as PyTorch.
1-D pooling runs as 2-D pooling with H = 1."""

from __future__ import annotations

import math

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.backend.arrayfns import namespace_for
from nerve.ops.linalg.linear_map import linear_op_graph
from nerve.ops.reduce.reductions import mean
from nerve.ops.shape.rearrange import squeeze, unsqueeze

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
    "adaptive_max_pool2d", "adaptive_max_pool3d",
]  # fmt: skip


class AdaptiveAvgPool(Function):
    """Adaptive average pooling: output bin i covers [⌊iH/OH⌋, ⌈(i+1)H/OH⌉). Averaging is
    linear and separable, y = A_h x A_wᵀ with A[i, h] = 1/|bin i| for h in bin i, so
    ∂L/∂x = A_hᵀ δ A_w (3-D applies A_d to the depth axis the same way)."""

    def forward(self, x, out=(1, 1)):
        sp, xp = len(out), array_module(x)
        self.mats = [_bin_matrix(n, o, x.dtype, xp) for n, o in zip(x.shape[-sp:], out)]
        ah, aw = self.mats[-2:]
        # (*, H, W) @ (W, OW) -> (*, H, OW); then (OH, H) @ (*, H, OW) -> (*, OH, OW)
        y = xp.matmul(ah, x @ aw.T)
        if sp == 3:  # (OD, D) @ (*, D, OH·OW)
            lead = y.shape[:-3]
            y = (self.mats[0] @ y.reshape(*lead, y.shape[-3], -1)).reshape(*lead, *out)
        return y

    def backward_graph(self, dy):
        return linear_op_graph(self, dy, out=tuple(dy.shape[-len(self.mats) :]))

    def backward(self, dy):
        if len(self.mats) == 3:
            lead, d = dy.shape[:-3], self.mats[0].shape[1]
            dy = (self.mats[0].T @ dy.reshape(*lead, dy.shape[-3], -1)).reshape(
                *lead, d, *dy.shape[-2:]
            )
        ah, aw = self.mats[-2:]
        return array_module(dy).matmul(ah.T, dy) @ aw


def adaptive_bins(n: int, out: int, xp=None):
    """Start and end (exclusive) of each adaptive pooling bin, as PyTorch computes them,
    as arrays of ``xp`` (the input's array module; NumPy when None)."""
    if xp is None:
        xp = namespace_for(None)
    i = xp.arange(out)
    return (i * n) // out, -((-(i + 1) * n) // out)


def _bin_matrix(n: int, out: int, dtype, xp):
    start, end = adaptive_bins(n, out, xp)
    h = xp.arange(n)
    inside = (h >= start[:, None]) & (h < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveMaxPool(Function):
    """Adaptive max pooling over PyTorch's bins (see ``adaptive_bins``): y = max over the
    bin; ∂L/∂x = δ routed to the bin's first maximum, summed where bins overlap.
    Bins are gathered as (B, *out, ∏K) with the short ones repeating their last index,
    which changes neither the max nor the first argmax."""

    def forward(self, x, out=(1, 1), return_indices=False):
        sp, xp = len(out), array_module(x)
        size = x.shape[-sp:]
        xb = x.reshape((-1,) + size)
        bins = [_bin_index(n, o, xp) for n, o in zip(size, out)]  # per axis (O, K)
        # Index arrays broadcasting to (O₁, K₁, O₂, K₂, ...): one gather of every bin
        index = [
            b.reshape((1,) * (2 * i) + b.shape + (1,) * (2 * (sp - i - 1)))
            for i, b in enumerate(bins)
        ]
        win = xb[(slice(None), *index)]
        # (B, O₁, K₁, O₂, K₂, ...) -> (B, *out, ∏K)
        win = win.transpose(0, *range(1, 2 * sp, 2), *range(2, 2 * sp + 1, 2)).reshape(
            xb.shape[0], *out, -1
        )
        idx = win.argmax(axis=-1)
        y = xp.take_along_axis(win, idx[..., None], axis=-1)[..., 0]
        # the argmax's flat index into the input's plane (volume)
        flat = 0
        for i, (b, k) in enumerate(zip(bins, xp.unravel_index(idx, [b.shape[1] for b in bins]))):
            flat = flat * size[i] + b[xp.arange(out[i]).reshape((-1,) + (1,) * (sp - i - 1)), k]
        self.flat, self.x_shape, self.sp = flat, x.shape, sp
        y = y.reshape(x.shape[:-sp] + y.shape[1:])
        return (y, flat.reshape(y.shape)) if return_indices else y

    def backward(self, dy, _dindices=None):
        xp = array_module(dy)
        b, plane = self.flat.shape[0], math.prod(self.x_shape[-self.sp :])
        target = self.flat + (xp.arange(b) * plane).reshape((-1,) + (1,) * self.sp)
        dx = xp.bincount(target.reshape(-1), weights=dy.reshape(-1), minlength=b * plane)
        return dx.astype(dy.dtype).reshape(self.x_shape)


def _bin_index(n: int, out: int, xp):
    """(out, longest bin) indices of each bin, the short bins padded with their last index."""
    start, end = adaptive_bins(n, out, xp)
    k = int((end - start).max())  # the gather's width (one scalar to the host)
    return xp.minimum(start[:, None] + xp.arange(k), end[:, None] - 1)


# ----- the functional wrappers, and the 1-D <-> 2-D lift shared with nerve.ops.nn.pool -------
def _as_2d(x, dims: int):
    """1-D pooling is 2-D pooling with H = 1: (*, L) -> (*, 1, L)."""
    return unsqueeze(x, -2) if dims == 1 else x


def _from_2d(y, dims: int):
    if isinstance(y, tuple):
        return tuple(_from_2d(t, dims) for t in y)
    return squeeze(y, -2) if dims == 1 else y


def _detached(t):
    return type(t)._wrap(t._data)


def _adaptive_size(op, x, dims, output_size) -> tuple:
    if x.ndim not in (dims + 1, dims + 2) or min(x.shape[-dims:]) < 1:
        raise RuntimeError(
            f"{op}: expected {dims + 1}D or {dims + 2}D input with non-zero "
            f"spatial size, but got input of size: {list(x.shape)}"
        )
    sizes = (
        (output_size,) * dims
        if output_size is None or isinstance(output_size, int)
        else tuple(output_size)
    )
    if len(sizes) != dims:
        raise ValueError(
            f"{op}: output_size must be an int or a tuple of {dims}, got {output_size}"
        )
    out = tuple(n if o is None else int(o) for o, n in zip(sizes, x.shape[-dims:]))
    if min(out) < 1:
        raise RuntimeError(f"{op}: output_size must be positive, got {out}")
    return ((1,) + out) if dims == 1 else out


def _adaptive_avg(op, dims, input, output_size):
    out = _adaptive_size(op, input, dims, output_size)
    if dims > 1 and out == (1,) * dims:  # global average pooling: one mean, no bin matrices
        return mean(input, dim=tuple(range(-dims, 0)), keepdim=True)
    return _from_2d(AdaptiveAvgPool.apply(_as_2d(input, dims), out=out), dims)


def adaptive_avg_pool3d(input, output_size):
    """Average over PyTorch's adaptive bins of (N, C, D, H, W) or (C, D, H, W) to an
    (OD, OH, OW) output; output_size 1 is global average pooling."""
    return _adaptive_avg("adaptive_avg_pool3d", 3, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Average over PyTorch's adaptive bins to an (OH, OW) output; output_size 1 is
    global average pooling."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool1d(input, output_size):
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def _adaptive_max(op, dims, input, output_size, return_indices):
    out = _adaptive_size(op, input, dims, output_size)
    y = AdaptiveMaxPool.apply(_as_2d(input, dims), out=out, return_indices=return_indices)
    if return_indices:
        y = (y[0], _detached(y[1]))
    return _from_2d(y, dims)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over PyTorch's adaptive bins of (N, C, D, H, W) or (C, D, H, W) to an
    (OD, OH, OW) output; indices are flat into each D·H·W volume."""
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over PyTorch's adaptive bins to an (OH, OW) output; 1 is global max pooling."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)
