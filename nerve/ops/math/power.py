"""The exponents that PyTorch, too, computes without the general power routine: x², x³,
√x and 1/x as one or two elementwise passes, forward and backward (``np.power`` with a
float exponent is about 15x slower). ``Pow`` in nerve/ops/math/elementwise.py uses them and
falls back to ``xp.power`` for every other exponent."""

from __future__ import annotations

from nerve.backend import MODULES_OF, array_module
from nerve.backend.arrayfns import errstate

__all__: list[str] = []


def pow_grad_a(a, b, dy):
    """δ · b · aᵇ⁻¹, 0 where b = 0."""
    xp = array_module(a, b, dy)
    with errstate(xp, divide="ignore", invalid="ignore"):
        da = dy * b * xp.power(a, b - 1)
    zero = xp.asarray(b) == 0
    return xp.where(zero, 0, da) if zero.any() else da


def pow_reference(a, b, dy):
    """aᵇ and δ · b · aᵇ⁻¹ by the general routine: what the fast exponents must equal."""
    from nerve.ops.math.elementwise import _promote  # elementwise imports this module

    a, b = _promote(a, b)
    return array_module(a, b).power(a, b), pow_grad_a(a, b, dy)


def _scalar_exponent(a, b):
    """b as a Python number when it is a scalar and a a floating (or exact integer
    result) array; None otherwise."""
    if type(a) not in MODULES_OF:
        return None
    if type(b) in MODULES_OF:
        if b.ndim or b.dtype != a.dtype:
            return None
        b = b.item()
    return b if type(b) in (int, float) else None


def small_power(a, b):
    """aᵇ for a scalar b of 2, 3 (products), 0.5 (sqrt) or -1 (reciprocal); None otherwise."""
    e = _scalar_exponent(a, b)
    if e is None:
        return None
    if e == 2:
        return a * a
    if e == 3:
        y = a * a
        y *= a  # in place: one temporary, not two
        return y
    if a.dtype.kind in "fc":
        xp = array_module(a)
        if e == 0.5:
            return xp.sqrt(a)
        if e == -1:
            with errstate(xp, divide="ignore"):
                return xp.reciprocal(a)
    return None


def small_power_grad(a, b, y, dy):
    """δ · b · aᵇ⁻¹ for the same exponents, from a and y = aᵇ; None otherwise."""
    e = _scalar_exponent(a, b)
    if e is None:
        return None
    if e == 2:
        return dy * (a + a)
    if e == 3:
        g = a * a
        g *= 3
        if g.shape == dy.shape and g.dtype == dy.dtype:
            g *= dy  # in place where δ has the result's shape and dtype
            return g
        return dy * g
    if a.dtype.kind in "fc":
        if e == 0.5:
            with errstate(array_module(a), divide="ignore"):
                return dy * (0.5 / y)
        if e == -1:
            return -dy * (y * y)
    return None
