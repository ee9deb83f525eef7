"""Power-average (Lᵖ) pooling: y = (Σ_window xᵖ)^(1/p), built as PyTorch builds it, from an
average pool of xᵖ times the window size, then one root."""

from __future__ import annotations

import math

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.backend.arrayfns import errstate
from nerve.ops.nn import pool

__all__ = ["lp_pool1d", "lp_pool2d"]


class LPRoot(Function):
    """y = (k·a)^(1/p) for the window averages a of xᵖ (k = window size);
    ∂L/∂a = δ · (k/p) · (k·a)^(1/p - 1), and 0 where a = 0 (a window of zeros has no
    direction; PyTorch sets its gradient to zero, where the bare rule would give ∞·0)."""

    def forward(self, a, k=1, p=2.0):
        self.a, self.k, self.p = a, k, p
        xp = array_module(a)
        with errstate(xp, invalid="ignore", divide="ignore"):
            return xp.power(k * a, 1.0 / p).astype(a.dtype, copy=False)

    def backward(self, dy):
        a, k, p = self.a, self.k, self.p
        xp = array_module(a)
        with errstate(xp, invalid="ignore", divide="ignore", over="ignore"):
            slope = (k / p) * xp.power(k * a, 1.0 / p - 1.0)
        return xp.where(a == 0, 0, dy * slope).astype(a.dtype, copy=False)


def _lp_pool(dims, input, norm_type, kernel_size, stride, ceil_mode):
    op = f"lp_pool{dims}d"
    k = pool._tuple(kernel_size, dims, "kernel_size", op)
    if norm_type == float("inf"):
        return getattr(pool, f"max_pool{dims}d")(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -getattr(pool, f"max_pool{dims}d")(
            -input.abs(), kernel_size, stride, 0, 1, ceil_mode
        )
    avg = getattr(pool, f"avg_pool{dims}d")(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return LPRoot.apply(avg, k=math.prod(k), p=float(norm_type))


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-D power-average pooling of (N, C, H, W): (Σ_window xᵖ)^(1/p); p = ∞ is max
    pooling of |x|."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-D power-average pooling of (N, C, L)."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)
