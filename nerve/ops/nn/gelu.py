"""GELU, x Φ(x) and its tanh approximation: float32 in one fused pass over cache-sized
blocks that also keeps the slope for the backward (a single product there); every other
dtype by the formulas as written (:func:`gelu_reference`), which the fast path is tested
against."""

from __future__ import annotations

import math

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.backend.arrayfns import errstate
from nerve.dtypes import float32
from nerve.ops.math.elementwise import Exp
from nerve.ops.math.normal_cdf import _blocks, _normal_cdf, gelu_f32

__all__: list[str] = []

_SQRT_2_PI = math.sqrt(2 / math.pi)  # Python floats keep float32 arrays float32
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)
_GELU_C = 0.044715


class GELU(Function):
    """y = x Φ(x), Φ the standard normal CDF;  ∂L/∂x = δ · (Φ(x) + x φ(x)),
    φ(x) = e^(-x²/2) / √(2π).

    approximate='tanh': y = ½ x (1 + tanh u), u = √(2/π) (x + 0.044715 x³);
    ∂L/∂x = δ · (½ (1 + tanh u) + ½ x (1 - tanh² u) √(2/π) (1 + 3·0.044715 x²))

    The forward keeps the slope s = ∂y/∂x (when ``derivative``, which the functional form
    sets when a gradient will be needed), so the backward is the one product δ · s.
    float32 computes y and s in one pass over blocks: Φ from one exponential
    (nerve/ops/math/normal_cdf.py), ½ (1 + tanh u) as σ(2u) = 1/(1 + e^(-2u)), which has
    no cancellation where tanh u ≈ -1, and 1 - tanh² u = 4 σ(2u)(1 - σ(2u)).
    """

    def forward(self, x, approximate="none", derivative=True):
        self.x, self.approximate = x, approximate
        if x.dtype == float32:
            fast = gelu_f32 if approximate != "tanh" else _gelu_tanh_f32
            y, self.slope = fast(x, derivative)
        else:
            y, self.slope = gelu_reference(x, approximate)
        return y

    def backward(self, dy):
        slope = self.slope
        if slope is None:  # a forward told that no gradient would be needed
            slope = _slope(self.x, self.approximate)
        return dy * slope

    def backward_graph(self, dy):
        x = self.parents[0]
        if self.approximate == "tanh":
            from nerve.ops.nn.activation import Tanh  # activation imports this module

            t = Tanh.apply((x + x * x * x * _GELU_C) * _SQRT_2_PI)
            du = (x * x * (3 * _GELU_C) + 1) * _SQRT_2_PI
            return dy * ((t + 1) * 0.5 + x * (1 - t * t) * du * 0.5)
        from nerve.ops.math.elementary import Erf  # math.elementary imports activation

        cdf = (Erf.apply(x * _INV_SQRT_2) + 1) * 0.5
        return dy * (cdf + x * Exp.apply(x * x * -0.5) * _INV_SQRT_2PI)


def _slope(x, approximate):
    if x.dtype == float32:
        return (gelu_f32 if approximate != "tanh" else _gelu_tanh_f32)(x, True)[1]
    return gelu_reference(x, approximate)[1]


def gelu_reference(x, approximate="none"):
    """(y, ∂y/∂x) by the formulas of :class:`GELU` as written, Φ from the float64 series
    (rounded to x's dtype once)."""
    xp = array_module(x)
    if approximate == "tanh":
        t = xp.tanh(_SQRT_2_PI * (x + _GELU_C * x * x * x))
        du = _SQRT_2_PI * (1 + 3 * _GELU_C * x * x)
        return 0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
    cdf = _normal_cdf(x).astype(x.dtype)
    return x * cdf, cdf + x * xp.exp(-0.5 * x * x) * _INV_SQRT_2PI


def _gelu_tanh_f32(x, derivative=True):
    """y = x σ and s = σ + 2 x σ (1 - σ) u' for float32 x over blocks, σ = σ(2u) =
    1/(1 + E), E = e^(-2u), u' = √(2/π) (1 + 3·0.044715 x²); 1 - σ is taken as
    1/(1 + 1/E), not by a subtraction that cancels where σ ≈ 1. Returns (y, s or None)."""
    xp = array_module(x)

    def value(xb, y, x2, sg, e=None):
        xp.square(xb, out=x2)
        xp.multiply(x2, -2 * _SQRT_2_PI * _GELU_C, out=sg)  # -2u = -2√(2/π)(x + c x³)
        sg -= 2 * _SQRT_2_PI
        sg *= xb
        xp.exp(sg, out=sg)  # inf where u ≪ 0: σ = 0, as it is
        if e is not None:
            e[...] = sg
        sg += 1
        xp.reciprocal(sg, out=sg)
        xp.multiply(xb, sg, out=y)

    def value_and_slope(xb, y, s, x2, sg):
        value(xb, y, x2, sg, s)
        xp.reciprocal(s, out=s)  # 1 - σ = 1/(1 + 1/E): 0 where E = 0
        s += 1
        xp.reciprocal(s, out=s)
        s *= sg
        x2 *= 6 * _SQRT_2_PI * _GELU_C  # 2u' = 2√(2/π) + 6√(2/π) c x²
        x2 += 2 * _SQRT_2_PI
        s *= x2
        s *= xb
        s += sg

    with errstate(xp, over="ignore", divide="ignore", invalid="ignore"):
        if not derivative:
            return _blocks(x, 1, value, 2)[0], None
        return tuple(_blocks(x, 2, value_and_slope, 2))
