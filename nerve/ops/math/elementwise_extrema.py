"""Elementwise extrema with gradients: maximum and minimum of two tensors (the
gradient split evenly on ties, as PyTorch splits it) and clamp/clip to bounds."""

from __future__ import annotations

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.dtypes import get_default_dtype
from nerve.ops.math.elementwise import _promote, need_tensor
from nerve.tensor import ops_table

__all__ = ["clamp", "clip", "maximum", "minimum"]


class Maximum(Function):
    """y = max(a, b);  the gradient goes to the larger input, split evenly on ties."""

    def forward(self, a, b):
        self.a, self.b = a, b = _promote(a, b)
        return array_module(a, b).maximum(a, b)

    def backward(self, dy):
        return _split_tie(dy, self.a > self.b, self.a == self.b, self.needs_input_grad)

    def backward_graph(self, dy):
        return _split_tie(dy, self.a > self.b, self.a == self.b, self.needs_input_grad)


class Minimum(Function):
    """y = min(a, b);  the gradient goes to the smaller input, split evenly on ties."""

    def forward(self, a, b):
        self.a, self.b = a, b = _promote(a, b)
        return array_module(a, b).minimum(a, b)

    def backward(self, dy):
        return _split_tie(dy, self.a < self.b, self.a == self.b, self.needs_input_grad)

    def backward_graph(self, dy):
        return _split_tie(dy, self.a < self.b, self.a == self.b, self.needs_input_grad)


def _split_tie(dy, a_wins, tie, needs):
    share_a = a_wins + 0.5 * tie
    da = dy * share_a if needs[0] else None
    db = dy * (1 - share_a) if needs[1] else None
    return da, db


class Clamp(Function):
    """y = min(max(x, lo), hi);  ∂L/∂x = δ where lo ≤ x ≤ hi, else 0"""

    def forward(self, x, lo=None, hi=None):
        xp = array_module(x)
        self.mask = xp.ones(x.shape, bool)
        if lo is not None:
            self.mask &= x >= lo
        if hi is not None:
            self.mask &= x <= hi
        return xp.clip(x, lo, hi)

    def backward(self, dy):
        return dy * self.mask, None, None

    def backward_graph(self, dy):
        return dy * self.mask, None, None


def maximum(input, other):
    need_tensor("maximum", other)
    return Maximum.apply(input, other)


def minimum(input, other):
    need_tensor("minimum", other)
    return Minimum.apply(input, other)


def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if any(getattr(b, "ndim", 0) for b in (min, max)):
        # tensor bounds broadcast elementwise and get gradients, as maximum/minimum's do
        out = input if min is None else maximum(input, min)
        return out if max is None else minimum(out, max)
    lo = min.item() if hasattr(min, "item") else min
    hi = max.item() if hasattr(max, "item") else max
    x = input
    if x._data.dtype.kind in "biu" and isinstance(lo, float) | isinstance(hi, float):
        x = x.to(get_default_dtype())  # an integer tensor clamped to a float bound
    return Clamp.apply(x, lo, hi)


clip = clamp


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(clamp, maximum, minimum)
