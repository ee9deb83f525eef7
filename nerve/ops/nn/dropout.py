"""Dropout: multiply by a random keep-mask scaled by 1/(1-p) (inverted dropout)."""

from __future__ import annotations

import math
import warnings

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.backend.draws import uniform
from nerve.dtypes import float64
from nerve.ops.inplace.updates import inplace_call
from nerve.random import rng

__all__ = [
    "alpha_dropout", "dropout", "dropout1d", "dropout2d", "dropout3d", "feature_alpha_dropout",
]  # fmt: skip


class Dropout(Function):
    """y = x · m (+ c) with m = [u ≥ p] / (1 - p), u ~ U(0, 1) per element (the draw is an
    input, so it is reproducible);  ∂L/∂x = δ · m.

    Scaling at training time keeps E[y] = x, so evaluation is the identity. Alpha dropout
    passes its own m and the constant shift c (see ``alpha_dropout``)."""

    def forward(self, x, mask, shift=None):
        self.mask = mask
        return x * mask if shift is None else x * mask + shift

    def backward(self, dy):
        return dy * self.mask

    def backward_graph(self, dy):
        return dy * self.mask


def _written_into(fn):
    """``fn(input, p, training, inplace=True)`` writes its result into ``input`` and
    returns it (PyTorch's ``inplace=``); the identity cases return ``input`` anyway."""
    import functools

    @functools.wraps(fn)
    def call(input, p=0.5, training=None, inplace=False):
        args = (p,) if training is None else (p, training)
        if not inplace:
            return fn(input, *args)
        return inplace_call(input, fn.__name__ + "_", lambda x: fn(x, *args))

    return call


def _check_p(p) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


@_written_into
def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) in training."""
    _check_p(p)
    if not training or p == 0:
        return input
    return Dropout.apply(input, _mask(input._data.shape, input._data, p))


@_written_into
def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: one draw per (N, C) of (N, C, H, W) input. As in PyTorch, other
    ranks are deprecated (a warning) and are taken as batched: 3-D input is (N, C, L)."""
    _check_p(p)
    if input.ndim not in (3, 4):
        _deprecated_rank("dropout2d", input.ndim, "2 spatial dimensions", "3D or 4D")
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that "
            "channel-wise 1D dropout behavior is desired - input is interpreted as "
            "shape (N, C, L), where C is the channel dim. Use dropout1d for that.",
            stacklevel=3,
        )
    if not training or p == 0:
        return input
    return _feature_dropout(input, p, 2)


@_written_into
def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input: one draw per (N, C) or
    per C, shared by the channel's voxels. Other ranks are deprecated (a warning) and are
    taken as unbatched: one draw per index of the first axis, as in PyTorch."""
    _check_p(p)
    if input.ndim not in (4, 5):
        _deprecated_rank("dropout3d", input.ndim, "3 spatial dimensions", "4D or 5D")
    if not training or p == 0:
        return input
    return _feature_dropout(input, p, 2 if input.ndim == 5 else 1)


def _deprecated_rank(op: str, ndim: int, spatial: str, ranks: str) -> None:
    warnings.warn(
        f"{op}: Received a {ndim}-D input to {op}, which is deprecated and will "
        f"result in an error in a future release. To retain the behavior and "
        f"silence this warning, please use dropout instead. Note that {op} exists "
        f"to provide channel-wise dropout on inputs with {spatial}, a channel "
        f"dimension, and an optional batch dimension (i.e. {ranks} inputs).",
        stacklevel=4,
    )


def _feature_dropout(input, p, lead: int):
    """One draw per index of the first ``lead`` axes, shared along the rest."""
    if input.ndim + 2 - lead < 2:  # unbatched input gains an axis first in PyTorch
        raise RuntimeError(
            f"dropout: Feature dropout requires at least 2 dimensions in the "
            f"input, got shape {tuple(input.shape)}"
        )
    # (N, C, H, W) -> mask (N, C, 1, 1): the draw is shared by a channel's pixels
    shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    return Dropout.apply(input, _mask(shape, input._data, p))


@_written_into
def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) input: one draw per (N, C) or per C."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
            f"input of shape {tuple(input.shape)}"
        )
    if not training or p == 0:
        return input
    shape = tuple(input.shape[:-1]) + (1,)
    return Dropout.apply(input, _mask(shape, input._data, p))


# SELU's negative saturation value -λα: the value a dropped unit takes before the affine map
_ALPHA = 1.7580993408473766


@_written_into
def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for self-normalizing nets: a dropped unit is set to -λα (SELU's saturation),
    then y = a·(kept ? x : -λα) + a·λα·p with a = ((λα)² p + 1)^-½ (1 - p)^-½, which keeps a
    zero-mean unit-variance input so. ∂L/∂x = δ·a on kept units, 0 on dropped ones."""
    return _alpha(input, p, training, tuple(input.shape))


@_written_into
def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels: one draw per (N, C) of (N, C, *) input."""
    if input.ndim < 2:
        raise RuntimeError(
            f"feature_alpha_dropout: Feature dropout requires at least 2 "
            f"dimensions in the input, got shape {tuple(input.shape)}"
        )
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _alpha(input, p, training, shape)


def _alpha(input, p, training, shape):
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    dtype = input._data.dtype
    if p == 1:
        return Dropout.apply(input, array_module(input._data).zeros(shape, dtype))
    # drawn on the host (the CPU's numbers on every device), compared where input lives
    keep = (uniform(rng(), shape, float64, input._data) >= p).astype(dtype)
    a = 1 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    shift = ((keep - 1) * (_ALPHA * a) + _ALPHA * a * p).astype(dtype)
    return Dropout.apply(input, keep * dtype.type(a), shift)


def _mask(shape, like, p: float):
    """The kept entries scaled by 1/(1 - p), of ``like``'s dtype and on its device (the
    uniforms drawn on the host, so every device sees the CPU's mask)."""
    dtype = like.dtype
    if p == 1:
        return array_module(like).zeros(shape, dtype)
    keep = uniform(rng(), shape, float64, like) >= p
    return keep.astype(dtype) * dtype.type(1 / (1 - p))
