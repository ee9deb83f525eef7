"""Tensor's elementwise math: arithmetic, powers, exponentials, trigonometry, activations.

Each method is declared here and calls the op of the same name (or the one named) in
the ops table, ``nerve/tensor/ops_table.py``, which the op modules fill as they load;
the comment above each group names the file that holds the ops. In-place forms go
through ``nerve/ops/inplace/updates.py``'s ``inplace_call``: written into the tensor's array
outside a graph, computed out of place and rebound inside one.
"""

from __future__ import annotations

from nerve.tensor.ops_table import ops


class MathMethods:
    """Tensor's elementwise math (a mixin of Tensor)."""

    __slots__ = ()

    # ----- nerve/ops/math/elementwise.py --------------------------------------------------------

    def abs(self):
        """|x| elementwise."""
        return ops.abs(self)

    def add(self, other, alpha=1):
        """self + alpha·other."""
        return ops.add(self, other, alpha)

    def div(self, other, *, rounding_mode=None, out=None):
        """self / other (rounded toward zero or down with ``rounding_mode``)."""
        return ops.div(self, other, rounding_mode=rounding_mode, out=out)

    def exp(self):
        """eˣ elementwise."""
        return ops.exp(self)

    def log(self):
        """The natural logarithm elementwise."""
        return ops.log(self)

    def mul(self, other):
        """self · other elementwise."""
        return ops.mul(self, other)

    def neg(self):
        """-x elementwise."""
        return ops.neg(self)

    def pow(self, exponent):
        """self ** exponent elementwise."""
        return ops.pow(self, exponent)

    def sqrt(self):
        """√x elementwise."""
        return ops.sqrt(self)

    def square(self):
        """x² elementwise."""
        return ops.square(self)

    def sub(self, other, alpha=1):
        """self - alpha·other."""
        return ops.sub(self, other, alpha)

    # ----- nerve/ops/math/elementwise_extrema.py --------------------------------------------------

    def clamp(self, min=None, max=None):
        """Elementwise min(max(x, min), max)."""
        return ops.clamp(self, min, max)

    def clip(self, min=None, max=None):
        """PyTorch's other name for ``clamp``."""
        return ops.clamp(self, min, max)

    def maximum(self, other):
        """The elementwise maximum of self and other."""
        return ops.maximum(self, other)

    def minimum(self, other):
        """The elementwise minimum of self and other."""
        return ops.minimum(self, other)

    # ----- sin and cos: nerve/ops/math/transcendental.py ------------------------------------------

    def cos(self):
        """cos(x) elementwise."""
        return ops.cos(self)

    def sin(self):
        """sin(x) elementwise."""
        return ops.sin(self)

    # ----- nerve/functional/arithmetic.py -------------------------------------------------------

    def absolute(self, *, out=None):
        """PyTorch's other name for ``abs``."""
        return ops.absolute(self, out=out)

    def divide(self, other, *, rounding_mode=None, out=None):
        """PyTorch's other name for ``div``."""
        return ops.divide(self, other, rounding_mode=rounding_mode, out=out)

    def multiply(self, other, *, out=None):
        """PyTorch's other name for ``mul``."""
        return ops.multiply(self, other, out=out)

    def negative(self, *, out=None):
        """PyTorch's other name for ``neg``."""
        return ops.negative(self, out=out)

    def positive(self):
        """input itself (an error for bool, as in PyTorch)"""
        return ops.positive(self)

    def sgn(self, *, out=None):
        """sign(input) for real tensors (PyTorch's complex-aware sign)"""
        return ops.sgn(self, out=out)

    def subtract(self, other, *, alpha=1, out=None):
        """PyTorch's other name for ``sub``."""
        return ops.subtract(self, other, alpha=alpha, out=out)

    def true_divide(self, other, *, out=None):
        """self / other (true division, a float result)."""
        return ops.true_divide(self, other, out=out)

    # ----- nerve/ops/math/elementary.py -----------------------------------------------------------

    def arctan2(self, other):
        """PyTorch's other name for ``atan2``."""
        return ops.atan2(self, other)

    def atan2(self, other):
        """The angle of the point (other, self): atan(self/other) in the right quadrant."""
        return ops.atan2(self, other)

    def erf(self):
        """The error function 2/√π ∫₀ˣ e^(-t²) dt elementwise."""
        return ops.erf(self)

    def expm1(self):
        """eˣ - 1, exact for small x."""
        return ops.expm1(self)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """|input - other| ≤ atol + rtol · |other| elementwise (a bool tensor, no gradient)"""
        return ops.isclose(self, other, rtol, atol, equal_nan)

    def lerp(self, end, weight):
        """input + weight · (end - input): a composite, its gradient follows from Sub/Mul/Add."""
        return ops.lerp(self, end, weight)

    def log1p(self):
        """log(1 + x), exact for small x."""
        return ops.log1p(self)

    # ----- nerve/ops/math/transcendental.py -------------------------------------------------------

    def acos(self, *, out=None):
        """y = arccos x;  ∂L/∂x = -δ / √(1 - x²)"""
        return ops.acos(self, out=out)

    def acosh(self, *, out=None):
        """y = arcosh x;  ∂L/∂x = δ / √((x - 1)(x + 1))"""
        return ops.acosh(self, out=out)

    def arccos(self, *, out=None):
        """y = arccos x;  ∂L/∂x = -δ / √(1 - x²)"""
        return ops.acos(self, out=out)

    def arccosh(self, *, out=None):
        """y = arcosh x;  ∂L/∂x = δ / √((x - 1)(x + 1))"""
        return ops.acosh(self, out=out)

    def arcsin(self, *, out=None):
        """y = arcsin x;  ∂L/∂x = δ / √(1 - x²)"""
        return ops.asin(self, out=out)

    def arcsinh(self, *, out=None):
        """y = arsinh x;  ∂L/∂x = δ / √(x² + 1)"""
        return ops.asinh(self, out=out)

    def arctan(self, *, out=None):
        """y = arctan x;  ∂L/∂x = δ / (1 + x²)"""
        return ops.atan(self, out=out)

    def arctanh(self, *, out=None):
        """y = artanh x;  ∂L/∂x = δ / (1 - x²)"""
        return ops.atanh(self, out=out)

    def asin(self, *, out=None):
        """y = arcsin x;  ∂L/∂x = δ / √(1 - x²)"""
        return ops.asin(self, out=out)

    def asinh(self, *, out=None):
        """y = arsinh x;  ∂L/∂x = δ / √(x² + 1)"""
        return ops.asinh(self, out=out)

    def atan(self, *, out=None):
        """y = arctan x;  ∂L/∂x = δ / (1 + x²)"""
        return ops.atan(self, out=out)

    def atanh(self, *, out=None):
        """y = artanh x;  ∂L/∂x = δ / (1 - x²)"""
        return ops.atanh(self, out=out)

    def copysign(self, other, *, out=None):
        """y = |a| with the sign (bit) of b;  ∂L/∂a = δ · y / a (0 where a = 0),  ∂L/∂b = 0."""
        return ops.copysign(self, other, out=out)

    def cosh(self, *, out=None):
        """y = cosh x;  ∂L/∂x = δ · sinh x."""
        return ops.cosh(self, out=out)

    def deg2rad(self, *, out=None):
        """y = x · π/180;  ∂L/∂x = δ · π/180."""
        return ops.deg2rad(self, out=out)

    def digamma(self, *, out=None):
        """y = ψ(x) = Γ'(x)/Γ(x);  ∂L/∂x = δ · ψ⁽¹⁾(x)"""
        return ops.digamma(self, out=out)

    def erfc(self, *, out=None):
        """y = erfc x = 1 - erf x;  ∂L/∂x = -δ · 2/√π · e^(-x²)"""
        return ops.erfc(self, out=out)

    def erfinv(self, *, out=None):
        """y = erf⁻¹ x;  ∂L/∂x = δ · √π/2 · e^(y²)"""
        return ops.erfinv(self, out=out)

    def exp2(self, *, out=None):
        """y = 2ˣ;  ∂L/∂x = δ · y ln 2."""
        return ops.exp2(self, out=out)

    def fix(self, *, out=None):
        """y = trunc x (rounded toward 0); integers pass unchanged;  ∂L/∂x = 0."""
        return ops.trunc(self, out=out)

    def float_power(self, exponent, *, out=None):
        """inputᵉˣᵖᵒⁿᵉⁿᵗ computed in float64 (PyTorch's result dtype): Cast, then Pow."""
        return ops.float_power(self, exponent, out=out)

    def fmod(self, other, *, out=None):
        """The remainder of self / other with the sign of self (C's fmod)."""
        return ops.fmod(self, other, out=out)

    def frac(self, *, out=None):
        """y = x - trunc x (the sign of x kept);  ∂L/∂x = δ."""
        return ops.frac(self, out=out)

    def hypot(self, other, *, out=None):
        """y = √(a² + b²) without overflow;  ∂L/∂a = δ · a / y,  ∂L/∂b = δ · b / y."""
        return ops.hypot(self, other, out=out)

    def i0(self, *, out=None):
        """y = I₀(x), the modified Bessel function of order 0;  ∂L/∂x = δ · I₁(x)"""
        return ops.i0(self, out=out)

    def ldexp(self, other, *, out=None):
        """input · 2ᵒᵗʰᵉʳ: a composite of Pow and Mul (so it is a float, as in PyTorch)"""
        return ops.ldexp(self, other, out=out)

    def lgamma(self, *, out=None):
        """y = ln |Γ(x)|;  ∂L/∂x = δ · ψ(x)"""
        return ops.lgamma(self, out=out)

    def log10(self, *, out=None):
        """y = log₁₀ x;  ∂L/∂x = δ / (x ln 10)"""
        return ops.log10(self, out=out)

    def log2(self, *, out=None):
        """y = log₂ x;  ∂L/∂x = δ / (x ln 2)"""
        return ops.log2(self, out=out)

    def logaddexp(self, other, *, out=None):
        """log(eˢᵉˡᶠ + eᵒᵗʰᵉʳ) without overflow."""
        return ops.logaddexp(self, other, out=out)

    def logaddexp2(self, other, *, out=None):
        """y = log₂(2ᵃ + 2ᵇ);  ∂L/∂a = δ · 2^(a - y),  ∂L/∂b = δ · 2^(b - y)"""
        return ops.logaddexp2(self, other, out=out)

    def logit(self, eps=None, *, out=None):
        """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
        return ops.logit(self, eps, out=out)

    def mvlgamma(self, p, *, out=None):
        """ln Γₚ(x) = p(p-1)/4 · ln π + Σᵢ₌₀..ₚ₋₁ ln Γ(x - i/2): a composite of lgamma."""
        return ops.mvlgamma(self, p, out=out)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None, *, out=None):
        """NaN, +inf and -inf replaced by finite numbers."""
        return ops.nan_to_num(self, nan, posinf, neginf, out=out)

    def rad2deg(self, *, out=None):
        """y = x · 180/π;  ∂L/∂x = δ · 180/π."""
        return ops.rad2deg(self, out=out)

    def reciprocal(self, *, out=None):
        """y = 1/x;  ∂L/∂x = -δ · y²."""
        return ops.reciprocal(self, out=out)

    def remainder(self, other, *, out=None):
        """The remainder of self / other with the sign of other (Python's %)."""
        return ops.remainder(self, other, out=out)

    def sinc(self, *, out=None):
        """y = sin(πx) / (πx), 1 at x = 0;  ∂L/∂x = δ · (cos(πx) - y) / x, 0 at x = 0."""
        return ops.sinc(self, out=out)

    def sinh(self, *, out=None):
        """y = sinh x;  ∂L/∂x = δ · cosh x."""
        return ops.sinh(self, out=out)

    def tan(self, *, out=None):
        """y = tan x;  ∂L/∂x = δ · (1 + y²)"""
        return ops.tan(self, out=out)

    def trunc(self, *, out=None):
        """y = trunc x (rounded toward 0); integers pass unchanged;  ∂L/∂x = 0."""
        return ops.trunc(self, out=out)

    def xlogy(self, other, *, out=None):
        """self · log(other), 0 where self is 0."""
        return ops.xlogy(self, other, out=out)

    # ----- nerve/ops/nn/activation.py ---------------------------------------------------------

    def log_softmax(self, dim=None, dtype=None):
        """log(softmax(x)) along ``dim``, computed stably."""
        return ops.log_softmax(self, dim, dtype)

    def relu(self, inplace=False):
        """max(x, 0) elementwise."""
        return ops.relu(self, inplace)

    def sigmoid(self):
        """1 / (1 + e⁻ˣ) elementwise."""
        return ops.sigmoid(self)

    def softmax(self, dim=None, dtype=None):
        """eˣ / Σ eˣ along ``dim``."""
        return ops.softmax(self, dim, dtype)

    def tanh(self):
        """tanh(x) elementwise."""
        return ops.tanh(self)

    # ----- composed of the ops above ---------------------------------------------------
    def rsqrt(self):
        """1 / sqrt(x)."""
        return 1.0 / ops.sqrt(self)

    def where(self, condition, other):
        """``nerve.where(condition, self, other)``."""
        return ops.where(condition, self, other)

    def polygamma(self, n):
        """``nerve.polygamma(n, self)``: the n-th derivative of digamma."""
        return ops.polygamma(n, self)
