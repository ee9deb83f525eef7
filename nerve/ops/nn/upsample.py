"""Resizing the last 1, 2 or 3 axes (``interpolate``): nearest neighbour ('nearest', and
'nearest-exact' which rounds pixel centres), linear interpolation ('linear', 'bilinear',
'trilinear' as linear along W, then H, then D), 'bicubic' (Keys' cubic convolution,
A = -0.75, along W then H) and 'area' (adaptive average pooling).

Each output position i along an axis reads source positions computed as PyTorch does, in
the input's floating type: nearest r(i) = min(⌊i·s⌋, n - 1), nearest-exact
r(i) = min(⌊(i + ½)·s⌋, n - 1), linear src(i) = s·i with align_corners, else
max(s·(i + ½) - ½, 0), with s = in/out, or 1/scale_factor when one is given (and not
recomputed), or (in - 1)/(out - 1) with align_corners.
"""

from __future__ import annotations

import math

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.backend.arrayfns import reduceat
from nerve.dtypes import float32, float64, int64
from nerve.ops.linalg.linear_map import linear_op_graph
from nerve.ops.nn import pool_adaptive as pa
from nerve.ops.shape.rearrange import squeeze, unsqueeze

__all__ = ["interpolate", "upsample_bilinear", "upsample_nearest"]

_F32 = float32.type  # the scalar type the source positions of float32 inputs use


class UpsampleNearest(Function):
    """y[…, i, j] = x[…, r(i), c(j)]: each output copies one input pixel. As a matrix
    product with the one-hot selections R (OH, H) and C (OW, W): y = R x Cᵀ, so
    ∂L/∂x = Rᵀ δ C: every pixel collects the gradients of all its copies (a sum over runs
    of equal, sorted indices, along W then H)."""

    def forward(self, x, rows=None, cols=None):
        self.h, self.w, self.rows, self.cols = x.shape[-2], x.shape[-1], rows, cols
        return x[..., rows[:, None], cols[None, :]]

    def backward(self, dy):
        return _sum_sorted(_sum_sorted(dy, self.cols, self.w, -1), self.rows, self.h, -2)

    def backward_graph(self, dy):
        return linear_op_graph(self, dy, rows=self.rows, cols=self.cols)


class UpsampleLinear(Function):
    """Linear interpolation along one axis (-1 or -2) between the neighbours i₀ ≤ i₁:
    y[…, i] = (1 - λᵢ) x[…, i₀(i)] + λᵢ x[…, i₁(i)], λᵢ = src(i) - i₀(i).
    Linear in x: ∂L/∂x[…, k] = Σ_{i: i₀(i) = k} (1 - λᵢ) δᵢ + Σ_{i: i₁(i) = k} λᵢ δᵢ."""

    def forward(self, x, axis=-1, i0=None, i1=None, lam=None):
        shape = (-1,) + (1,) * (-1 - axis)  # λ broadcast along the axes after ``axis``
        self.args = (x.shape[axis], axis, i0, i1)
        self.l1 = lam.astype(x.dtype).reshape(shape)
        self.l0 = (1 - lam).astype(x.dtype).reshape(shape)
        xp = array_module(x)
        return self.l0 * xp.take(x, i0, axis) + self.l1 * xp.take(x, i1, axis)

    def backward(self, dy):
        n, axis, i0, i1 = self.args
        return _sum_sorted(dy * self.l0, i0, n, axis) + _sum_sorted(dy * self.l1, i1, n, axis)

    def backward_graph(self, dy):
        _, axis, i0, i1 = self.args
        return linear_op_graph(self, dy, axis=axis, i0=i0, i1=i1, lam=self.l1.reshape(-1))


class UpsampleCubic(Function):
    """Cubic convolution (Keys, A = -0.75) along one axis (-1 or -2) over the four
    neighbours i₀-1 … i₀+2 (clamped to the edge): y[…, i] = Σₖ wₖ(tᵢ) x[…, jₖ(i)],
    tᵢ = src(i) - i₀(i). Linear in x: ∂L/∂x[…, m] = Σₖ Σ_{i: jₖ(i) = m} wₖ(tᵢ) δᵢ."""

    def forward(self, x, axis=-1, index=None, weight=None):
        shape = (-1,) + (1,) * (-1 - axis)  # weights broadcast along the axes after ``axis``
        self.args = (x.shape[axis], axis, index)
        self.w = [wk.astype(x.dtype).reshape(shape) for wk in weight]
        xp = array_module(x)
        return sum(wk * xp.take(x, jk, axis) for wk, jk in zip(self.w, index))

    def backward(self, dy):
        n, axis, index = self.args
        return sum(_sum_sorted(dy * wk, jk, n, axis) for wk, jk in zip(self.w, index))

    def backward_graph(self, dy):
        _, axis, index = self.args
        return linear_op_graph(
            self, dy, axis=axis, index=index, weight=[wk.reshape(-1) for wk in self.w]
        )


def _sum_sorted(v, index, n: int, axis: int):
    """out[…, k] = Σ_{i: index[i] = k} v[…, i] along ``axis``, for a sorted index: one sum
    per run of equal indices (add.reduceat), no unbuffered scatter."""
    xp = array_module(v)
    new = xp.ones(index.shape, dtype=bool)
    new[1:] = index[1:] != index[:-1]
    starts = xp.flatnonzero(new)
    shape = list(v.shape)
    shape[axis] = n
    out = xp.zeros(shape, v.dtype)
    where = [slice(None)] * v.ndim
    where[axis] = index[starts]
    out[tuple(where)] = reduceat("add", v, starts, axis=axis)
    return out


# ----- source positions -------------------------------------------------------------------
def _scale(n: int, out: int, scale, dtype):
    return dtype(1.0 / scale) if scale else dtype(n) / dtype(out)


def nearest_index(
    n: int, out: int, scale: float | None, exact: bool = False, shortcut: bool = False, xp=None
):
    """Source index of each output position ('nearest' or 'nearest-exact'), in float32
    whatever the input's type, as PyTorch does, as an array of ``xp`` (the input's
    module). With ``shortcut`` (PyTorch's 2-D 'nearest' kernel) scale_factor is ignored
    when the output is as large as or twice the input."""
    if shortcut and out in (n, 2 * n):
        return xp.arange(out) * n // out
    dtype = _F32
    s = _scale(n, out, scale, dtype)
    pos = xp.arange(out, dtype=dtype) + (dtype(0.5) if exact else dtype(0))
    return xp.minimum(xp.floor(pos * s).astype(int64), n - 1)


def linear_index(n: int, out: int, scale: float | None, align_corners: bool, dtype=_F32, xp=None):
    """(i₀, i₁, λ) of each output position for linear interpolation. An axis whose size
    does not change is copied, whatever scale_factor says (as in PyTorch)."""
    if out == n:
        scale = None
    dst = xp.arange(out, dtype=dtype)
    if align_corners:
        src = dst * (dtype(n - 1) / dtype(out - 1) if out > 1 else dtype(0))
    else:
        src = xp.maximum(_scale(n, out, scale, dtype) * (dst + dtype(0.5)) - dtype(0.5), dtype(0))
    i0 = xp.floor(src).astype(int64)
    lam = xp.clip(src - i0.astype(dtype), 0, 1)
    return i0, i0 + (i0 < n - 1), lam


def cubic_index(n: int, out: int, scale: float | None, align_corners: bool, dtype=_F32, xp=None):
    """(j, w): the four clamped source indices (4, out) and their Keys weights (4, out),
    A = -0.75, with the source position unclamped (PyTorch's cubic convention)."""
    dst = xp.arange(out, dtype=dtype)
    if align_corners:
        src = dst * (dtype(n - 1) / dtype(out - 1) if out > 1 else dtype(0))
    else:
        src = _scale(n, out, scale, dtype) * (dst + dtype(0.5)) - dtype(0.5)
    i0 = xp.floor(src)
    t = src - i0
    a = dtype(-0.75)

    def near(x):  # |x| ≤ 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    w = xp.stack([far(t + 1), near(t), near(1 - t), far(2 - t)]).astype(dtype)
    j = xp.clip(i0.astype(int64) + xp.arange(-1, 3)[:, None], 0, n - 1)
    return j, w


# ----- interpolate ------------------------------------------------------------------------
_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_LINEAR_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    """Resize the spatial axes of (N, C, L), (N, C, H, W) or (N, C, D, H, W) input by
    ``mode`` (nearest, nearest-exact, linear (3-D), bilinear and bicubic (4-D), trilinear
    (5-D), area) to ``size`` or by ``scale_factor``."""
    if mode not in _MODES:
        raise NotImplementedError(
            f"interpolate: Input Error: Only 3D, 4D and 5D input Tensors supported (got "
            f"{input.ndim}D) for the modes: nearest | linear | bilinear | bicubic | trilinear "
            f"| area | nearest-exact (got {mode})"
        )
    if mode in _LINEAR_DIMS:
        align_corners = bool(align_corners)
    elif align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    dims = input.ndim - 2
    for what, v in (("output size", size), ("scale_factor", scale_factor)):
        if isinstance(v, tuple | list) and len(v) != dims:  # PyTorch checks this first
            raise ValueError(
                f"interpolate: Input and {what} must have the same number of "
                f"spatial dimensions, but got input with spatial dimensions of "
                f"{list(input.shape[2:])} and {what} of {tuple(v)}"
            )
    if mode in _LINEAR_DIMS and dims != _LINEAR_DIMS[mode]:
        raise NotImplementedError(
            f"interpolate: Got {input.ndim}D input, but {mode} mode needs "
            f"{_LINEAR_DIMS[mode] + 2}D input"
        )
    if dims not in (1, 2, 3):
        raise NotImplementedError(
            f"interpolate: Input Error: Only 3D, 4D and 5D input Tensors "
            f"supported (got {input.ndim}D) for the modes: nearest | "
            f"linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})"
        )
    out, scales = _output_size(tuple(input.shape[2:]), size, scale_factor, recompute_scale_factor)
    if mode == "area":
        pool = (pa.adaptive_avg_pool1d, pa.adaptive_avg_pool2d, pa.adaptive_avg_pool3d)
        return pool[dims - 1](input, out)
    if mode in ("linear", "bilinear", "trilinear"):
        return _linear(input, out, scales, align_corners)
    if mode == "bicubic":
        return _cubic(input, out, scales, align_corners)
    return _nearest(input, out, scales, mode == "nearest-exact")


def _output_size(spatial: tuple, size, scale_factor, recompute) -> tuple:
    dims = len(spatial)
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        out, scales = _per_dim(size, dims, "size"), (None,) * dims
    else:
        scales = _per_dim(scale_factor, dims, "scale_factor")
        out = tuple(math.floor(n * s) for n, s in zip(spatial, scales))
        if recompute:
            scales = (None,) * dims
    if min(out) < 1:
        raise RuntimeError(
            f"interpolate: Input and output sizes should be greater than 0, "
            f"but got input {spatial} output {out}"
        )
    return out, scales


def _float(input):  # noqa: A002 - the type the source positions are computed in
    return float64.type if input.dtype == float64 else _F32


def _nearest(input, out, scales, exact):
    shortcut, xp = len(out) == 2 and not exact, array_module(input)
    idx = [
        nearest_index(n, o, s, exact, shortcut, xp) for n, o, s in zip(input.shape[2:], out, scales)
    ]
    if len(out) == 3:
        # (N, C, D, H, W) -> (N, C, D, OH, OW) -> (N, C, D, OH·OW): D then picks rows
        n, c, d = input.shape[:3]
        y = UpsampleNearest.apply(input, rows=idx[1], cols=idx[2])
        y = UpsampleNearest.apply(
            y.reshape(n, c, d, out[1] * out[2]), rows=idx[0], cols=xp.arange(out[1] * out[2])
        )
        return y.reshape(n, c, *out)
    if len(out) == 1:
        y = UpsampleNearest.apply(unsqueeze(input, -2), rows=xp.zeros(1, int64), cols=idx[0])
        return squeeze(y, -2)
    return UpsampleNearest.apply(input, rows=idx[0], cols=idx[1])


def _linear(input, out, scales, align_corners):
    dt, xp = _float(input), array_module(input)
    y = input
    # along W first, then H: the same order of products and sums as PyTorch's kernel
    for axis in range(-1, -len(out) - 1, -1):
        i0, i1, lam = linear_index(
            input.shape[axis], out[axis], scales[axis], align_corners, dt, xp
        )
        y = UpsampleLinear.apply(y, axis=axis, i0=i0, i1=i1, lam=lam)
    return y


def _cubic(input, out, scales, align_corners):
    dt, xp = _float(input), array_module(input)
    y = input
    for axis in (-1, -2):
        j, w = cubic_index(input.shape[axis], out[axis], scales[axis], align_corners, dt, xp)
        y = UpsampleCubic.apply(y, axis=axis, index=j, weight=w)
    return y


def _per_dim(v, dims: int, name: str) -> tuple:
    t = tuple(v) if isinstance(v, tuple | list) else (v,) * dims
    if len(t) != dims:
        raise ValueError(
            f"interpolate: {name} shape must match input spatial dims ({dims}), got {v}"
        )
    return t


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Bilinear upsampling with align_corners=True (the deprecated F.upsample_bilinear)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
