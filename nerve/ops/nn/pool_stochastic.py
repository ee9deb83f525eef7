"""Stochastic pooling (Zeiler & Fergus, 2013) over the last two axes, on the window
geometry and views of pool.py."""

from __future__ import annotations

from nerve import random
from nerve.autograd.function import Function
from nerve.backend import array_module, draws
from nerve.ops.nn.pool import _geometry, padded, scatter, windows

__all__ = ["stochastic_pool2d"]


class StochasticPool(Function):
    """Stochastic pooling (Zeiler & Fergus, 2013) of non-negative activations a with
    p_i = a_i / Σ_window a. Training: y = a_k with k drawn from p, so ∂L/∂a_k = δ (as
    max pooling routes it). Evaluation: y = Σ p_i a_i = Σ a_i² / S (S = Σ a), so
    ∂L/∂a_i = δ (2 a_i - y) / S; zero where the window is all zero (S = 0)."""

    def forward(self, x, geometry=None, training=True, rng=None):
        g, lead, xp = geometry, x.shape[:-2], array_module(x)
        x3 = x.reshape((-1,) + x.shape[-2:])
        win = windows(padded(x3, g, 0), g)
        flat = win.reshape(win.shape[:3] + (-1,))  # (B, OH, OW, KH·KW)
        total = flat.sum(axis=-1)
        self.g, self.training, self.x_shape, self.dtype = g, training, x.shape, x.dtype
        self.x3 = x3
        if training:
            # Inverse-CDF sampling: the first position whose cumulative sum passes u·S.
            u = draws.uniform(rng, total.shape, x.dtype, like=x) * total
            idx = (xp.cumsum(flat, axis=-1) <= u[..., None]).sum(axis=-1)
            self.idx = xp.minimum(idx, flat.shape[-1] - 1)
            y = xp.take_along_axis(flat, self.idx[..., None], axis=-1)[..., 0]
        else:
            safe = xp.where(total > 0, total, 1)
            y = (flat * flat).sum(axis=-1) / safe
            self.flat, self.total, self.safe, self.y = flat, total, safe, y
        return y.reshape(lead + y.shape[1:])

    def backward(self, dy):
        g, xp = self.g, array_module(dy)
        dy3 = dy.reshape((-1,) + g.out)
        if self.training:
            # δ into the drawn position of each window: a one-hot over the KH·KW positions
            # (what put_along_axis writes; one comparison per element, as zeros() was)
            hot = self.idx[..., None] == xp.arange(g.kernel[0] * g.kernel[1])
            dwin = xp.where(hot, dy3[..., None], 0).astype(self.dtype, copy=False)
        else:
            scale = xp.where(self.total > 0, dy3 / self.safe, 0)
            dwin = (2 * self.flat - self.y[..., None]) * scale[..., None]
        dwin = dwin.astype(self.dtype, copy=False)
        return scatter(
            lambda k, out: dwin[..., k] if out is None else xp.copyto(out, dwin[..., k]), g, self.x3
        ).reshape(self.x_shape)


def stochastic_pool2d(
    input,
    kernel_size,
    stride=None,
    training=True,
    generator=None,
):
    """Stochastic pooling of non-negative activations (N, C, H, W): in training each
    window outputs one of its values drawn with probability a_i / Σ a, in evaluation the
    probability-weighted average Σ a_i² / Σ a. See ``StochasticPool``."""
    g = _geometry("stochastic_pool2d", input, 2, kernel_size, stride, 0, 1, False)
    if input.numel() and float(input._data.min()) < 0:
        raise ValueError(
            f"stochastic_pool2d: expects non-negative activations (apply ReLU "
            f"first), got a minimum of {float(input._data.min()):g}"
        )
    return StochasticPool.apply(input, geometry=g, training=training, rng=random.rng(generator))
