"""Dropout: multiply by a random keep-mask scaled by 1/(1-p) (inverted dropout)."""

from __future__ import annotations

import numpy as np

from nerve.autograd.function import Function


class Dropout(Function):
    """y = x · m with m = [u ≥ p] / (1 - p), u ~ U(0, 1) per element (the draw is an
    input, so it is reproducible);  ∂L/∂x = δ · m.

    Scaling at training time keeps E[y] = x, so evaluation is the identity."""

    def forward(self, x, mask):
        self.mask = mask
        return x * mask

    def backward(self, dy):
        return dy * self.mask


def _check_p(p) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) in training."""
    _check_p(p)
    if not training or p == 0:
        return input
    return Dropout.apply(input, _mask(input._data.shape, input._data.dtype, p))


def dropout2d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels: one draw per (N, C) for input (N, C, H, W) or per C for (C, H, W)."""
    _check_p(p)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"dropout2d: expected 3-D or 4-D input, got shape "
                           f"{tuple(input.shape)}")
    if not training or p == 0:
        return input
    lead = input.ndim - 2
    # (N, C, H, W) -> mask (N, C, 1, 1): the draw is shared by a channel's pixels
    shape = tuple(input.shape[:lead]) + (1, 1)
    return Dropout.apply(input, _mask(shape, input._data.dtype, p))


def _mask(shape, dtype, p: float) -> np.ndarray:
    from nerve.random import rng

    if p == 1:
        return np.zeros(shape, dtype)
    keep = rng().random(shape) >= p
    return keep.astype(dtype) * np.asarray(1 / (1 - p), dtype)
