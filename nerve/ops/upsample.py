"""Nearest-neighbour upsampling (``interpolate(mode='nearest')``) of the last 1 or 2 axes."""

from __future__ import annotations

import math

import numpy as np

from nerve.autograd.function import Function


class UpsampleNearest(Function):
    """y[…, i, j] = x[…, r(i), c(j)] with r(i) = min(⌊i · s_h⌋, H - 1), s_h = H/OH or
    1/scale_factor (PyTorch's float32 rule). As a matrix product with the one-hot
    selections R (OH, H) and C (OW, W): y = R x Cᵀ, so ∂L/∂x = Rᵀ δ C (pixels copied to
    several outputs collect all their gradients)."""

    def forward(self, x, rows=None, cols=None):
        self.h, self.w, self.rows, self.cols = x.shape[-2], x.shape[-1], rows, cols
        return x[..., rows[:, None], cols[None, :]]

    def backward(self, dy):
        r = _one_hot(self.rows, self.h, dy.dtype)  # (OH, H)
        c = _one_hot(self.cols, self.w, dy.dtype)  # (OW, W)
        # (*, OH, OW) @ (OW, W) -> (*, OH, W); (H, OH) @ (*, OH, W) -> (*, H, W)
        return np.matmul(r.T, dy @ c)


def _one_hot(index, n: int, dtype):
    return (index[:, None] == np.arange(n)).astype(dtype)


def nearest_index(n: int, out: int, scale: float | None):
    """Source index of each output position, computed in float32 as PyTorch does."""
    if out == n:
        return np.arange(n)
    s = np.float32(1 / scale) if scale else np.float32(n) / np.float32(out)
    src = np.floor(np.arange(out, dtype=np.float32) * s).astype(np.int64)
    return np.minimum(src, n - 1)


def interpolate(input, size=None, scale_factor=None, mode="nearest",  # noqa: A002
                align_corners=None, recompute_scale_factor=None, antialias=False):
    """Resize the spatial axes of (N, C, L) or (N, C, H, W) input; only mode='nearest'."""
    from nerve.ops.shape import squeeze, unsqueeze

    if mode != "nearest":
        raise NotImplementedError(f"interpolate: mode '{mode}' is not supported (nearest)")
    if align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    dims = input.ndim - 2
    if dims not in (1, 2):
        raise NotImplementedError(f"interpolate: expected 3D (N, C, L) or 4D (N, C, H, W) "
                                  f"input, got input of size {list(input.shape)}")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    spatial = tuple(input.shape[2:])
    if size is not None:
        out = _per_dim(size, dims, "size")
        scales = (None,) * dims
    else:
        scales = _per_dim(scale_factor, dims, "scale_factor")
        out = tuple(math.floor(n * s) for n, s in zip(spatial, scales))
        if recompute_scale_factor:
            scales = (None,) * dims
    if min(out) < 1:
        raise RuntimeError(f"interpolate: output size {out} must be positive (input size "
                           f"{spatial})")
    idx = [nearest_index(n, o, s) for n, o, s in zip(spatial, out, scales)]
    if dims == 1:
        y = UpsampleNearest.apply(unsqueeze(input, -2), rows=np.zeros(1, np.int64), cols=idx[0])
        return squeeze(y, -2)
    return UpsampleNearest.apply(input, rows=idx[0], cols=idx[1])


def _per_dim(v, dims: int, name: str) -> tuple:
    t = tuple(v) if isinstance(v, tuple | list) else (v,) * dims
    if len(t) != dims:
        raise ValueError(f"interpolate: {name} shape must match input spatial dims ({dims}), "
                         f"got {v}")
    return t


def upsample_nearest(input, size=None, scale_factor=None):  # noqa: A002
    return interpolate(input, size, scale_factor, mode="nearest")
