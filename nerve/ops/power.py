"""The exponents that PyTorch, too, computes without the general power routine: x², x³,
√x and 1/x as one or two elementwise passes, forward and backward (``np.power`` with a
float exponent is about 15x slower). ``Pow`` in nerve/ops/elementwise.py uses them and
falls back to ``np.power`` for every other exponent."""

from __future__ import annotations

import numpy as np


def pow_grad_a(a, b, dy):
    """δ · b · aᵇ⁻¹, 0 where b = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        da = dy * b * np.power(a, b - 1)
    return np.where(np.asarray(b) == 0, 0, da) if np.any(np.asarray(b) == 0) else da


def pow_reference(a, b, dy):
    """aᵇ and δ · b · aᵇ⁻¹ by the general routine: what the fast exponents must equal."""
    from nerve.ops.elementwise import _promote  # elementwise imports this module

    a, b = _promote(a, b)
    return np.power(a, b), pow_grad_a(a, b, dy)


def _scalar_exponent(a, b):
    """b as a Python number when it is a scalar and a a floating (or exact integer
    result) array; None otherwise."""
    if type(a) is not np.ndarray:
        return None
    if type(b) is np.ndarray:
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
        return a * a * a
    if a.dtype.kind in "fc":
        if e == 0.5:
            return np.sqrt(a)
        if e == -1:
            with np.errstate(divide="ignore"):
                return np.reciprocal(a)
    return None


def small_power_grad(a, b, y, dy):
    """δ · b · aᵇ⁻¹ for the same exponents, from a and y = aᵇ; None otherwise."""
    e = _scalar_exponent(a, b)
    if e is None:
        return None
    if e == 2:
        return dy * (a + a)
    if e == 3:
        return dy * (3 * (a * a))
    if a.dtype.kind in "fc":
        if e == 0.5:
            with np.errstate(divide="ignore"):
                return dy * (0.5 / y)
        if e == -1:
            return -dy * (y * y)
    return None
