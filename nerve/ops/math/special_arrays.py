"""Special functions on float64 arrays, in NumPy alone (nerve does not depend on SciPy):
log-gamma, digamma, polygamma, erfc, erfinv and the modified Bessel functions I₀, I₁.
The Functions that differentiate them live in nerve/ops/math/transcendental.py.

The gamma family shifts its argument up by the recurrence until it is large enough for
the asymptotic (Stirling) series, whose truncation error is then below 1e-14; negative
arguments go through the reflection formula first."""

from __future__ import annotations

import math

from nerve.backend import array_module
from nerve.backend.arrayfns import errstate
from nerve.dtypes import float64
from nerve.ops.math.elementary import _erf
from nerve.ops.nn.activation import _erf_series, _erfc_tail

__all__: list[str] = []

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_LOG_PI = math.log(math.pi)
_SHIFT = 10.0  # the asymptotic series are used from here on
# Bernoulli numbers B₂ₖ, k = 1..7
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def _f64(x):
    xp = array_module(x)
    return xp.asarray(x, float64)


def _shift_up(z, target, each):
    """Raise every finite z below ``target`` by 1 repeatedly, calling ``each(z, mask)``
    before each step (the recurrence's correction term); returns the shifted z."""
    xp = array_module(z)
    z = z.copy()
    while True:
        mask = xp.isfinite(z) & (z < target)
        if not mask.any():
            return z
        each(z, mask)
        z[mask] += 1


def lgamma(x):
    """ln |Γ(x)|: Stirling's series for x ≥ 10,
    ln Γ(z) ≈ (z - ½) ln z - z + ½ ln 2π + Σₖ B₂ₖ / (2k (2k - 1) z²ᵏ⁻¹),
    reached by ln Γ(x) = ln Γ(x + n) - ln |x (x + 1) ... (x + n - 1)|, and
    ln |Γ(x)| = ln π - ln |sin πx| - ln Γ(1 - x) for x < ½. +∞ at the poles x = 0, -1, ..."""
    xp = array_module(x)
    x = _f64(x)
    out = xp.full(x.shape, math.inf)
    neg = x < 0.5
    pole = (x <= 0) & (x == xp.floor(x))
    pos = ~neg & ~pole
    out[pos] = _lgamma_pos(x[pos])
    ref = neg & ~pole & xp.isfinite(x)
    xr = x[ref]
    # sin πx from the fractional part only: πx itself loses the digits for large |x|
    s = xp.abs(xp.sin(math.pi * (xr - xp.floor(xr))))
    out[ref] = _LOG_PI - xp.log(s) - _lgamma_pos(1 - xr)
    out[xp.isnan(x)] = math.nan
    return out


def _lgamma_pos(x):
    xp = array_module(x)
    acc = xp.zeros_like(x)

    def each(z, m):
        xp = array_module(z)
        acc[m] -= xp.log(z[m])

    z = _shift_up(x, _SHIFT, each)
    with errstate(xp, invalid="ignore", over="ignore"):
        inv, inv2 = 1 / z, 1 / (z * z)
        series, p = xp.zeros_like(z), inv
        for k, b in enumerate(_B2K, start=1):
            series += b / (2 * k * (2 * k - 1)) * p
            p = p * inv2
        y = (z - 0.5) * xp.log(z) - z + _HALF_LOG_2PI + series + acc
    return xp.where(xp.isposinf(x), math.inf, y)


def digamma(x):
    """ψ(x) = d ln Γ(x)/dx: ψ(z) ≈ ln z - 1/(2z) - Σₖ B₂ₖ / (2k z²ᵏ) for z ≥ 10, reached by
    ψ(x) = ψ(x + n) - Σᵢ 1/(x + i);  ψ(x) = ψ(1 - x) - π / tan πx for x < 0.
    -∞ at +0, +∞ at -0 and NaN at the negative integers (as PyTorch)."""
    xp = array_module(x)
    x = _f64(x)
    out = xp.empty(x.shape)
    neg = x < 0
    pole = neg & (x == xp.floor(x))
    pos = ~neg
    out[pos] = _digamma_pos(x[pos])
    ref = neg & ~pole & xp.isfinite(x)
    xr = x[ref]
    frac = xr - xp.floor(xr)
    out[ref] = _digamma_pos(1 - xr) - math.pi / xp.tan(math.pi * frac)
    out[pole | xp.isneginf(x) | xp.isnan(x)] = math.nan
    zero = x == 0
    out[zero] = xp.where(xp.signbit(x[zero]), math.inf, -math.inf)
    return out


def _digamma_pos(x):
    xp = array_module(x)
    acc = xp.zeros_like(x)

    def each(z, m):
        acc[m] -= 1 / z[m]

    with errstate(xp, divide="ignore"):
        z = _shift_up(x, _SHIFT, each)
    with errstate(xp, invalid="ignore", divide="ignore"):
        inv2 = 1 / (z * z)
        series, p = xp.zeros_like(z), inv2
        for k, b in enumerate(_B2K, start=1):
            series += b / (2 * k) * p
            p = p * inv2
        y = xp.log(z) - 0.5 / z - series + acc
    return xp.where(xp.isposinf(x), math.inf, y)


def polygamma(n: int, x):
    """ψ⁽ⁿ⁾(x), the n-th derivative of ψ (n ≥ 1): for large z
    ψ⁽ⁿ⁾(z) ≈ (-1)ⁿ⁺¹ [(n-1)!/zⁿ + n!/(2zⁿ⁺¹) + Σₖ B₂ₖ (2k+n-1)! / ((2k)! z²ᵏ⁺ⁿ)],
    reached by ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) - (-1)ⁿ n! / xⁿ⁺¹ (valid for negative x too)."""
    xp = array_module(x)
    if n == 0:
        return digamma(x)
    x = _f64(x)
    sign = -1.0 if n % 2 == 0 else 1.0  # (-1)ⁿ⁺¹
    fact = math.factorial(n)
    acc = xp.zeros_like(x)

    def each(z, m):
        acc[m] += sign * fact / z[m] ** (n + 1)

    # the series' terms shrink like ((2k + n) / 2πz)²: start it further out for large n
    with errstate(xp, divide="ignore", over="ignore", invalid="ignore"):
        z = _shift_up(x, _SHIFT + 2 * n, each)
        inv = 1 / z
        total = math.factorial(n - 1) * inv**n + fact / 2 * inv ** (n + 1)
        for k, b in enumerate(_B2K, start=1):
            total = total + b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) * inv ** (
                2 * k + n
            )
        y = sign * total + acc
    pole = (x <= 0) & (x == xp.floor(x))
    y[pole] = math.inf if n % 2 else math.nan
    y[xp.isposinf(x)] = 0.0
    y[xp.isneginf(x) | xp.isnan(x)] = math.nan
    return y


def erfc(x):
    """erfc x = 1 - erf x, with its relative accuracy kept in the right tail:
    1 - the Maclaurin series for erf on |x| < 2, the continued fraction beyond."""
    xp = array_module(x)
    z = _f64(x)
    out = xp.empty_like(z)
    mid = xp.abs(z) < 2
    out[mid] = 1 - _erf_series(z[mid])
    hi, lo = z >= 2, z <= -2
    out[hi] = _erfc_tail(z[hi])
    out[lo] = 2 - _erfc_tail(-z[lo])
    out[xp.isnan(z)] = math.nan
    return out


# Giles (2010), "Approximating the erfinv function": erfinv(a) ≈ a · p(w), w = -ln(1 - a²)
_GILES_CENTRAL = (
    2.81022636e-08,
    3.43273939e-07,
    -3.5233877e-06,
    -4.39150654e-06,
    0.00021858087,
    -0.00125372503,
    -0.00417768164,
    0.246640727,
    1.50140941,
)
_STEPS = 4
_GILES_TAIL = (
    -0.000200214257,
    0.000100950558,
    0.00134934322,
    -0.00367342844,
    0.00573950773,
    -0.0076224613,
    0.00943887047,
    1.00167406,
    2.83297682,
)


def erfinv(x):
    """erf⁻¹ x on [-1, 1] (±∞ at ±1, NaN outside): Giles' single-precision polynomial in
    w = -ln((1 - a)(1 + a)), then refined: Halley steps on erf y - a for a ≤ ½, Newton
    steps on ln erfc y - ln(1 - a) beyond (1 - a is exact there, and the logarithm is
    nearly linear in y where erfc falls like e^(-y²), so the far tail, where the
    single-precision fit starts 5% off, converges as fast as the centre)."""
    xp = array_module(x)
    x = _f64(x)
    a = xp.abs(x)
    inside = a < 1
    ai = a[inside]
    w = -xp.log((1 - ai) * (1 + ai))
    central = w < 5
    t = xp.where(central, w - 2.5, xp.sqrt(w) - 3)
    p = xp.zeros_like(t)
    for c_mid, c_tail in zip(_GILES_CENTRAL, _GILES_TAIL):
        p = p * t + xp.where(central, c_mid, c_tail)
    y = p * ai
    tail = ai > 0.5
    log_rest = xp.log(1 - ai[tail])
    for _ in range(_STEPS):
        yc, yt = y[~tail], y[tail]
        slope = 2 / math.sqrt(math.pi)
        r = (_erf(yc) - ai[~tail]) / (slope * xp.exp(-yc * yc))
        y[~tail] = yc - r / (1 + yc * r)  # Halley
        c = erfc(yt)
        y[tail] = yt + (xp.log(c) - log_rest) * c / (slope * xp.exp(-yt * yt))  # Newton
    out = xp.full(x.shape, math.nan)
    out[inside] = xp.copysign(y, x[inside])
    out[a == 1] = xp.sign(x[a == 1]) * math.inf
    return out


def i0(x):
    """The modified Bessel function I₀(x) = Σₖ (x/2)²ᵏ / (k!)²: the series (all terms
    positive, so no cancellation) for |x| ≤ 30, the asymptotic expansion
    I₀(x) ≈ eˣ/√(2πx) Σₖ ((2k-1)!!)² / (k! 8ᵏ xᵏ) beyond."""
    return _bessel_i(x, 0)


def i1(x):
    """I₁(x) = Σₖ (x/2)²ᵏ⁺¹ / (k! (k+1)!) (odd), asymptotically
    eˣ/√(2πx) Σₖ (-1)ᵏ Πⱼ₌₁..ₖ (4 - (2j-1)²) / (k! 8ᵏ xᵏ): I₀'s derivative."""
    return _bessel_i(x, 1)


def _bessel_i(x, order: int):
    xp = array_module(x)
    x = _f64(x)
    a = xp.abs(x)
    out = xp.empty_like(a)
    small = a <= 30
    h = a[small] / 2
    term = h if order else xp.ones_like(h)
    total = term.copy()
    h2 = h * h
    for k in range(1, 80):
        term = term * h2 / (k * (k + order))
        total += term
    out[small] = total
    big = ~small
    ab = a[big]
    mu = 4.0 * order * order
    term, total = xp.ones_like(ab), xp.ones_like(ab)
    for k in range(1, 30):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8 * ab)
        total += term
    with errstate(xp, over="ignore", invalid="ignore"):
        out[big] = xp.exp(ab) / xp.sqrt(2 * math.pi * ab) * total
    out[xp.isposinf(a)] = math.inf
    out[xp.isnan(a)] = math.nan
    return xp.sign(x) * out if order % 2 else out
