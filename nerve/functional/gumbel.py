"""Gumbel-softmax (Jang et al. 2017; Maddison et al. 2017): a differentiable sample from a
categorical distribution, softmax((logits + g)/τ) with g ~ Gumbel(0, 1); ``hard`` returns the
one-hot argmax forward with the soft sample's gradient (straight-through)."""

from __future__ import annotations

from nerve.autograd.function import wrap
from nerve.backend import array_module
from nerve.creation import rand

__all__ = ["gumbel_softmax"]


def gumbel_softmax(logits, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1):
    """softmax((logits - log E)/τ) along dim, E ~ Exp(1) (so -log E ~ Gumbel(0, 1))."""
    u = rand(*logits.shape, dtype=logits.dtype, device=logits.device)._data
    xp = array_module(u)
    # 1 - u lies in (0, 1]: -log(1 - u) is an Exp(1) draw that is never log(0)
    gumbels = -xp.log(-xp.log1p(-u)).astype(logits.dtype, copy=False)
    y_soft = ((logits + wrap(gumbels)) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft._data.argmax(axis=dim)
    # one-hot by comparing with 0..k-1 along dim (CuPy lacks put_along_axis)
    k = logits.shape[dim]
    along = [1] * logits.ndim
    along[dim] = k
    y_hard = (xp.expand_dims(index, dim) == xp.arange(k).reshape(along)).astype(y_soft.dtype)
    return wrap(y_hard) - y_soft.detach() + y_soft
