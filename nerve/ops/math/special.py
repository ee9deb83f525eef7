"""The torch.special functions that nerve's other op families lack: the exponentially
scaled Bessel functions I₀e, I₁e and I₁, the normal distribution's ndtr, ndtri and
log_ndtr, erfcx, entr, xlog1py (with gradients) and the Hurwitz zeta (without, as
PyTorch). Values are computed in float64 (nerve/ops/math/special_arrays.py) and returned in the
input's dtype; integer inputs compute in the default float dtype.

Far tails use the continued fraction of erfc, which carries e^(-z²) as a separate
factor, so log_ndtr, erfcx and ndtri stay finite and accurate where Φ or erfc
themselves underflow."""

from __future__ import annotations

import math

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.backend.arrayfns import errstate
from nerve.dtypes import float64
from nerve.ops.math import special_arrays as special
from nerve.ops.math.elementwise import _floating
from nerve.ops.math.transcendental import _binary, _Unary, _unary, no_out
from nerve.ops.math.transcendental_binary import binary_float
from nerve.ops.nn.activation import _normal_cdf

__all__ = [
    "entr", "erfcx", "hurwitz_zeta", "i0e", "i1", "i1e", "log_ndtr", "ndtr", "ndtri", "xlog1py",
]  # fmt: skip

_SQRT2 = math.sqrt(2)
_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)
_BIG = 30.0  # the Bessel series gives way to the asymptotic expansion here, as in special.py


def _continued_fraction(z):
    """F(z) with erfc z = e^(-z²) / (√π F(z)) for z ≥ 2:
    F(z) = z + ½/(z + 1/(z + (3/2)/(z + …)))."""
    frac = z
    for k in range(80, 0, -1):
        frac = z + (k / 2) / frac
    return frac


def _scaled_bessel(x, order: int):
    """Iₙ(x) e^(-|x|): the series times e^(-|x|) up to 30, then the asymptotic
    expansion (1/√(2π|x|)) Σₖ (-1)ᵏ Πⱼ (4n² - (2j-1)²) / (k! 8ᵏ |x|ᵏ) without the eˣ."""
    xp = array_module(x)
    x = xp.asarray(x, float64)
    a = xp.abs(x)
    out = xp.empty_like(a)
    small = a <= _BIG
    out[small] = xp.abs(special._bessel_i(a[small], order)) * xp.exp(-a[small])
    ab = a[~small]
    term, total = xp.ones_like(ab), xp.ones_like(ab)
    for k in range(1, 30):
        term = term * -(4.0 * order * order - (2 * k - 1) ** 2) / (k * 8 * ab)
        total += term
    with errstate(xp, divide="ignore", invalid="ignore"):
        out[~small] = total / xp.sqrt(2 * math.pi * ab)
    out[xp.isposinf(a)] = 0.0
    out[xp.isnan(a)] = math.nan
    return xp.sign(x) * out if order % 2 else out


def _i1_over_x(x, i1):
    """I₁(x)/x, ½ at x = 0 (its limit)."""
    xp = array_module(x)
    safe = xp.where(x == 0, 1, x)
    return xp.where(x == 0, 0.5, i1 / safe)


class I0e(_Unary):
    """y = I₀(x) e^(-|x|);  ∂L/∂x = δ · (I₁e(x) - sign(x) y)"""

    f = staticmethod(lambda x: _scaled_bessel(x, 0))
    df = staticmethod(lambda x, y, xp: _scaled_bessel(x, 1) - xp.sign(x) * y)


class I1(_Unary):
    """y = I₁(x);  ∂L/∂x = δ · (I₀(x) - I₁(x)/x), ½ at x = 0"""

    f = staticmethod(lambda x: special.i1(x))
    df = staticmethod(lambda x, y, xp: special.i0(x) - _i1_over_x(x, y))


class I1e(_Unary):
    """y = I₁(x) e^(-|x|);  ∂L/∂x = δ · (I₀e(x) - y (sign(x) + 1/x)), ½ at x = 0"""

    f = staticmethod(lambda x: _scaled_bessel(x, 1))
    df = staticmethod(lambda x, y, xp: _scaled_bessel(x, 0) - _i1_over_x(x, y) - xp.sign(x) * y)


def _ndtr(x):
    xp = array_module(x)
    return xp.where(xp.isnan(x), math.nan, _normal_cdf(x))


class Ndtr(_Unary):
    """y = Φ(x) = ½ (1 + erf(x/√2));  ∂L/∂x = δ · φ(x) = δ · e^(-x²/2)/√(2π)"""

    f = staticmethod(lambda x: _ndtr(x))
    df = staticmethod(lambda x, y, xp: xp.exp(-0.5 * x * x) / _SQRT_2PI)


def log_ndtr_and_ratio(x):
    """(ln Φ(x), φ(x)/Φ(x)) in float64. Left tail (z = -x/√2 ≥ 2):
    ln Φ = -z² - ln(2√π F(z)) and φ/Φ = √2 F(z); elsewhere Φ is accurate as computed,
    and for x > 0 ln Φ = ln(1 - Φ(-x)) keeps the digits of the tiny Φ(-x)."""
    xp = array_module(x)
    x = xp.asarray(x, float64)
    log_cdf, ratio = xp.empty_like(x), xp.empty_like(x)
    z = -x / _SQRT2
    tail = z >= 2
    frac = _continued_fraction(z[tail])
    log_cdf[tail] = -(z[tail] ** 2) - xp.log(2 * _SQRT_PI * frac)
    ratio[tail] = _SQRT2 * frac
    rest = ~tail
    xr = x[rest]
    cdf = _normal_cdf(xr)
    with errstate(xp, divide="ignore", invalid="ignore"):
        log_cdf[rest] = xp.where(xr > 0, xp.log1p(-_normal_cdf(-xr)), xp.log(cdf))
    with errstate(xp, divide="ignore", invalid="ignore"):
        ratio[rest] = xp.exp(-0.5 * xr * xr) / _SQRT_2PI / cdf
    nan = xp.isnan(x)
    log_cdf[nan] = ratio[nan] = math.nan
    return log_cdf, ratio


class LogNdtr(Function):
    """y = ln Φ(x);  ∂L/∂x = δ · φ(x)/Φ(x) (the inverse Mills ratio, ≈ -x far left)"""

    def forward(self, x):
        x = _floating(x)
        y, self.ratio = log_ndtr_and_ratio(x)
        return y.astype(x.dtype)

    def backward(self, dy):
        return (dy * self.ratio).astype(dy.dtype)


def ndtri_array(p):
    """Φ⁻¹(p), from ndtri_lower_array on min(p, 1 - p) (1 - p is exact for p > ½) by symmetry."""
    xp = array_module(p)
    p = xp.asarray(p, float64)
    upper = p > 0.5
    q = xp.where(upper, 1 - p, p)
    inside = (q > 0) & (q <= 0.5)
    out = xp.full(p.shape, math.nan)
    out[inside] = ndtri_lower_array(xp.log(q[inside]))
    out[q == 0] = -math.inf
    out = xp.where(upper, -out, out)
    out[(p < 0) | (p > 1) | xp.isnan(p)] = math.nan
    return out


def ndtri_lower_array(log_q):
    """Φ⁻¹(q) for q ≤ ½ given ln q (so that q may underflow): a starting point from
    erfinv, or from the tail asymptotics y² ≈ t - ln t - ln 2π with t = -2 ln q where
    2q - 1 rounds to -1, then Newton steps on ln Φ(y) - ln q, nearly linear in the tail."""
    xp = array_module(log_q)
    log_q = xp.asarray(log_q, float64)
    t = -2 * log_q
    with errstate(xp, invalid="ignore", divide="ignore"):
        tail_guess = -xp.sqrt(xp.maximum(t - xp.log(t) - math.log(2 * math.pi), 0))
    y = xp.where(
        log_q < math.log(1e-12), tail_guess, _SQRT2 * special.erfinv(2 * xp.exp(log_q) - 1)
    )
    # from q ≈ 10⁻³ up, 2q - 1 carries q's digits and the erfinv start is already exact
    tail = log_q < math.log(1e-3)
    yt, log_qt = y[tail], log_q[tail]
    for _ in range(6):
        log_cdf, ratio = log_ndtr_and_ratio(yt)
        yt = yt - (log_cdf - log_qt) / ratio
    y[tail] = yt
    return y


class Ndtri(_Unary):
    """y = Φ⁻¹(x);  ∂L/∂x = δ / φ(y) = δ · √(2π) e^(y²/2)"""

    f = staticmethod(ndtri_array)
    df = staticmethod(lambda x, y, xp: _SQRT_2PI * xp.exp(0.5 * y * y))


def _erfcx(x):
    """e^(x²) erfc x: 1/(√π F(x)) for x ≥ 2 (no overflow, no underflow), the product
    below (it overflows to +∞ only where the value does, x ≲ -26.6)."""
    xp = array_module(x)
    x = xp.asarray(x, float64)
    out = xp.empty_like(x)
    hi = x >= 2
    out[hi] = 1 / (_SQRT_PI * _continued_fraction(x[hi]))
    lo = ~hi
    with errstate(xp, over="ignore", invalid="ignore"):
        out[lo] = xp.exp(x[lo] ** 2) * special.erfc(x[lo])
    out[xp.isposinf(x)] = 0.0
    return out


class Erfcx(_Unary):
    """y = e^(x²) erfc x;  ∂L/∂x = δ · (2x y - 2/√π)"""

    f = staticmethod(_erfcx)
    df = staticmethod(lambda x, y, xp: 2 * x * y - 2 / _SQRT_PI)


class Entr(_Unary):
    """y = -x ln x for x > 0, 0 at x = 0, -∞ for x < 0;
    ∂L/∂x = -δ · (ln x + 1) (+∞ at 0, NaN for x < 0, as PyTorch)"""

    @staticmethod
    def f(x):
        xp = array_module(x)
        y = -x * xp.log(xp.where(x > 0, x, 1))
        return xp.where(x < 0, -math.inf, xp.where(x == 0, 0, y))

    @staticmethod
    def df(x, y, xp):
        return -(xp.log(x) + 1)


class Xlog1py(Function):
    """y = a · ln(1 + b), and 0 where a = 0 (unless b is NaN);
    ∂L/∂a = δ · ln(1 + b) (0 where a = 0 and b = -1, as PyTorch),  ∂L/∂b = δ · a / (1 + b)"""

    def forward(self, a, b):
        xp = array_module(a, b)
        self.a, self.b = a, b = binary_float(a, b)
        with errstate(xp, divide="ignore", invalid="ignore"):
            y = a * xp.log1p(b)
            return xp.where((a == 0) & ~xp.isnan(b), 0, y).astype(y.dtype)

    def backward(self, dy):
        xp = array_module(dy)
        da = db = None
        a, b = self.a, self.b
        with errstate(xp, divide="ignore", invalid="ignore"):
            if self.needs_input_grad[0]:
                da = xp.where((a == 0) & (b == -1), 0, dy * xp.log1p(b)).astype(dy.dtype)
            if self.needs_input_grad[1]:
                db = dy * a / (1 + b)
        return da, db


def hurwitz_zeta(x, q):
    """ζ(x, q) = Σₖ (k + q)⁻ˣ by Euler-Maclaurin: the first terms summed until k + q ≥ 10,
    then the tail ∫ + ½ term + Σⱼ B₂ⱼ/(2j)! · x(x+1)…(x+2j-2) · a^(-x-2j+1), a = q + N.
    ∞ at x = 1 and at the poles q = 0, -1, …; NaN for x < 1, and for q < 0 with x not
    an integer (as PyTorch)."""
    xp = array_module(x, q)
    x, q = xp.broadcast_arrays(xp.asarray(x, float64), xp.asarray(q, float64))
    # the number of terms follows the smallest q: a host sync on a device
    lowest = min(10.0, float(xp.where(xp.isnan(q), 10.0, q).min())) if q.size else 10.0
    n = int(max(9, math.ceil(10 - lowest)))
    with errstate(xp, all="ignore"):
        total = xp.zeros(x.shape)
        for k in range(n):
            total += (q + k) ** -x
        a = q + n
        total += a ** (1 - x) / (x - 1) + 0.5 * a**-x
        rising, power = x.copy(), a ** (-x - 1)
        for j, b in enumerate(special._B2K, start=1):
            total += b / math.factorial(2 * j) * rising * power
            rising = rising * (x + 2 * j - 1) * (x + 2 * j)
            power = power / (a * a)
    total[x < 1] = math.nan
    total[(q <= 0) & (q != xp.floor(q)) & (x != xp.floor(x))] = math.nan
    total[(q <= 0) & (q == xp.floor(q)) & (x >= 1)] = math.inf
    total[x == 1] = math.inf
    return total


i0e = _unary(I0e, "i0e")
i1 = _unary(I1, "i1")
i1e = _unary(I1e, "i1e")
ndtr = _unary(Ndtr, "ndtr")
ndtri = _unary(Ndtri, "ndtri")
erfcx = _unary(Erfcx, "erfcx")
entr = _unary(Entr, "entr")
xlog1py = _binary(Xlog1py, "xlog1py")


def log_ndtr(input, *, out=None):  # noqa: A002 - PyTorch's argument names
    no_out(out, "log_ndtr")
    return LogNdtr.apply(input)
