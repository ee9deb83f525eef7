"""The standard normal CDF Φ and erf, which NumPy lacks (and nerve does not depend on
SciPy): float64 to ~1e-15 by a series and a continued fraction (the reference), float32
from one exponential and a rational fit of the Mills ratio Φ(-a) e^(a²/2), fused with
GELU's product and slope. GELU, erf/erfc and ndtr use them."""

from __future__ import annotations

import math

from nerve.backend import array_module
from nerve.backend.arrayfns import errstate
from nerve.dtypes import float32, float64

__all__: list[str] = []

_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
# Maclaurin coefficients of erf(z)/z in powers of z²: 2/√π · (-1)ⁿ / (n! (2n+1));
# 40 terms reach double precision for |z| < 2 (beyond, 1 + erf z would lose the relative
# accuracy of the lower tail to cancellation, so the continued fraction takes over).
_ERF_SERIES = [
    2 / math.sqrt(math.pi) * (-1) ** n / (math.prod(map(float, range(1, n + 1))) * (2 * n + 1))
    for n in range(40)
]


def _erfc_tail(z):
    """erfc(z) for z ≥ 2 by its continued fraction (NumPy has no erf, and nerve does not
    depend on SciPy): erfc z = e^(-z²)/√π · 1/(z + ½/(z + 1/(z + (3/2)/(z + …))))."""
    frac = z
    for k in range(80, 0, -1):
        frac = z + (k / 2) / frac
    return array_module(z).exp(-z * z) / (math.sqrt(math.pi) * frac)


def _erf_series(z):
    """erf(z) for |z| < 2 by the Maclaurin series (Horner in z²)."""
    z2, acc = z * z, array_module(z).zeros_like(z)
    for c in reversed(_ERF_SERIES):
        acc = acc * z2 + c
    return z * acc


# Φ(-a) = e^(-a²/2) · R(a) for a = |x| ≥ 0, R(a) = Φ(-a) e^(a²/2) = P(a)/Q(a) with P of
# degree 4 and Q monic of degree 5: a relative minimax fit on [0, 16] (relative error
# 7.1e-9, below float32's 6e-8 rounding), so the lower tail keeps float32's relative
# accuracy where 1 + erf would cancel to 0. R ~ 1/(a√(2π)) as a grows (P's leading
# coefficient is 1/√(2π)), and every coefficient is positive: Horner on a ≥ 0 adds no
# cancellation. Coefficients lowest degree first.
_MILLS_P = (47.24467535637341, 41.680057050532064, 17.511626691195577, 3.90634831809248)
_MILLS_P4 = 0.39894596858882353
_MILLS_Q = (94.48935004375106, 158.75175464172779, 114.44362452076122, 44.88247799577533)
_MILLS_Q4 = 9.792286461964975
# e^(-a²/2) is 0 in float32 beyond a ≈ 14.4, so a is clamped to 16 before P and Q: it
# keeps P(a) finite for huge |x| (P/Q would be inf/inf there) and changes no result.
_A_MAX = 16.0

# The ~28 passes below run over blocks of this many values, so that the scratch arrays
# stay in the core's cache instead of streaming the whole activation through memory.
_CDF_BLOCK = 1 << 16


def _lower_tail(x, a, e, p, q):
    """For one block of float32 x: p ← Φ(-|x|) = e^(-x²/2) P(a)/Q(a), e ← e^(-x²/2),
    a ← min(|x|, 16); q is scratch. 22 in-place passes, one exponential, no branch."""
    xp = array_module(x)
    xp.abs(x, out=a)
    xp.minimum(a, _A_MAX, out=a)
    xp.square(a, out=e)
    e *= -0.5
    xp.exp(e, out=e)
    xp.multiply(a, _MILLS_P4, out=p)  # P(a) by Horner
    for c in _MILLS_P[:0:-1]:
        p += c
        p *= a
    p += _MILLS_P[0]
    xp.add(a, _MILLS_Q4, out=q)  # Q(a), monic
    for c in _MILLS_Q[:0:-1]:
        q *= a
        q += c
    q *= a
    q += _MILLS_Q[0]
    p /= q
    p *= e


def _cdf_from_tail(x, lower, out):
    """out ← Φ(x) = |1[x ≥ 0] - Φ(-|x|)|: Φ(-|x|) itself where x < 0 (no cancellation),
    1 - Φ(-|x|) where x ≥ 0 (Φ(-|x|) ≤ ½); three passes, no select."""
    xp = array_module(x)
    xp.greater_equal(x, 0, out=out, casting="unsafe")
    out -= lower
    xp.abs(out, out=out)


def _blocks(x, n_out, kernel, n_scratch=4):
    """Run kernel(x_block, *out_blocks, *scratch) over blocks of the flattened float32 x;
    returns the n_out outputs, shaped as x."""
    xp, flat = array_module(x), x.reshape(-1)
    outs = [xp.empty(flat.shape, float32) for _ in range(n_out)]
    size = min(flat.size, _CDF_BLOCK)
    scratch = [xp.empty(size, float32) for _ in range(n_scratch)]
    for i in range(0, flat.size, _CDF_BLOCK):
        n = min(_CDF_BLOCK, flat.size - i)
        kernel(flat[i : i + n], *(o[i : i + n] for o in outs), *(s[:n] for s in scratch))
    return [o.reshape(x.shape) for o in outs]


def _normal_cdf_f32(x):
    """Φ(x) for float32 x from one exponential and the rational fit above; relative
    accuracy in both tails (see :func:`_normal_cdf` for the float64 reference)."""

    def kernel(xb, out, a, e, p, q):
        _lower_tail(xb, a, e, p, q)
        _cdf_from_tail(xb, p, out)

    return _blocks(x, 1, kernel)[0]


def gelu_f32(x, derivative=True):
    """GELU(x) = x Φ(x) for float32 x and, when ``derivative``, its slope
    Φ(x) + x φ(x), φ(x) = e^(-x²/2)/√(2π), from the same exponential: one fused pass
    over blocks; returns (y, slope or None)."""
    xp = array_module(x)

    def value(xb, y, a, e, p, q):
        _lower_tail(xb, a, e, p, q)
        _cdf_from_tail(xb, p, q)  # q = Φ(x)
        xp.multiply(xb, q, out=y)
        return e, q

    def value_and_slope(xb, y, d, a, e, p, q):
        e, cdf = value(xb, y, a, e, p, q)
        e *= _INV_SQRT_2PI  # e = φ(x)
        e *= xb
        xp.add(e, cdf, out=d)

    with errstate(xp, invalid="ignore"):  # x = ±∞: ∞ · 0, nan as x Φ(x) evaluates
        if not derivative:
            return _blocks(x, 1, value)[0], None
        return tuple(_blocks(x, 2, value_and_slope))


def _normal_cdf(x):
    """Φ(x) = ½ (1 + erf(x/√2)) in float64 to ~1e-15, relative accuracy kept in both tails."""
    xp = array_module(x)
    z = xp.asarray(x, dtype=float64) / math.sqrt(2)
    out = xp.empty_like(z)
    mid = xp.abs(z) < 2
    out[mid] = 0.5 * (1 + _erf_series(z[mid]))
    hi, lo = z >= 2, z <= -2
    out[hi] = 1 - 0.5 * _erfc_tail(z[hi])
    out[lo] = 0.5 * _erfc_tail(-z[lo])
    return out
