"""Tensor's comparisons, tests, rounding and logic (results without a gradient).

Each method is declared here and calls the op of the same name (or the one named) in
the ops table, ``nerve/tensor/ops_table.py``, which the op modules fill as they load;
the comment above each group names the file that holds the ops. In-place forms go
through ``nerve/ops/inplace/updates.py``'s ``inplace_call``: written into the tensor's array
outside a graph, computed out of place and rebound inside one.
"""

from __future__ import annotations

from nerve.tensor.ops_table import ops


class CompareMethods:
    """Comparisons, tests, rounding and logic (a mixin of Tensor)."""

    __slots__ = ()

    # ----- nerve/functional/compare.py ----------------------------------------------------------

    def all(self, dim=None, keepdim=False):
        """Whether every element is nonzero (along ``dim`` when given)."""
        return ops.all(self, dim, keepdim)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Whether |self - other| <= atol + rtol·|other| everywhere (a Python bool)."""
        return ops.allclose(self, other, rtol, atol, equal_nan)

    def any(self, dim=None, keepdim=False):
        """Whether some element is nonzero (along ``dim`` when given)."""
        return ops.any(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        """The index of the largest element (along ``dim`` when given), int64."""
        return ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        """The index of the smallest element (along ``dim`` when given), int64."""
        return ops.argmin(self, dim, keepdim)

    def ceil(self, *, out=None):
        """Elementwise ``ceil``, without gradient."""
        return ops.ceil(self, out=out)

    def count_nonzero(self, dim=None):
        """How many elements are nonzero (along ``dim`` when given)."""
        return ops.count_nonzero(self, dim)

    def equal(self, other):
        """Whether ``other`` has this shape and these values (a Python bool)."""
        return ops.equal(self, other)

    def floor(self, *, out=None):
        """Elementwise ``floor``, without gradient."""
        return ops.floor(self, out=out)

    def isfinite(self):
        """Elementwise ``isfinite``, without gradient."""
        return ops.isfinite(self)

    def isinf(self):
        """Elementwise ``isinf``, without gradient."""
        return ops.isinf(self)

    def isnan(self):
        """Elementwise ``isnan``, without gradient."""
        return ops.isnan(self)

    def logical_not(self):
        """Elementwise ``logical_not``, without gradient."""
        return ops.logical_not(self)

    def round(self, *, decimals=0, out=None):
        """Round half to even, at ``decimals`` digits after the point."""
        return ops.round(self, decimals=decimals, out=out)

    def sign(self):
        """Elementwise ``sign``, without gradient; a bool tensor is its own sign."""
        return ops.sign(self)

    # ----- nerve/functional/logical.py -----------------------------------------------------

    def bitwise_and(self, other, *, out=None):
        """Elementwise ``bitwise_and`` (NumPy's ``bitwise_and``), without gradient."""
        return ops.bitwise_and(self, other, out=out)

    def bitwise_not(self, *, out=None):
        """Elementwise ``bitwise_not`` (NumPy's ``invert``), without gradient."""
        return ops.bitwise_not(self, out=out)

    def bitwise_or(self, other, *, out=None):
        """Elementwise ``bitwise_or`` (NumPy's ``bitwise_or``), without gradient."""
        return ops.bitwise_or(self, other, out=out)

    def bitwise_xor(self, other, *, out=None):
        """Elementwise ``bitwise_xor`` (NumPy's ``bitwise_xor``), without gradient."""
        return ops.bitwise_xor(self, other, out=out)

    def floor_divide(self, other, *, out=None):
        """⌊input / other⌋ (Python's //), without gradient."""
        return ops.floor_divide(self, other, out=out)

    def gcd(self, other, *, out=None):
        """Elementwise ``gcd`` (NumPy's ``gcd``), without gradient."""
        return ops.gcd(self, other, out=out)

    def greater(self, other, *, out=None):
        """Elementwise ``gt`` (NumPy's ``greater``), without gradient."""
        return ops.gt(self, other, out=out)

    def greater_equal(self, other, *, out=None):
        """Elementwise ``ge`` (NumPy's ``greater_equal``), without gradient."""
        return ops.ge(self, other, out=out)

    def heaviside(self, values, *, out=None):
        """0 where input < 0 (and where it is NaN), ``values`` where input = 0, 1 where > 0."""
        return ops.heaviside(self, values, out=out)

    def is_nonzero(self):
        """bool(input) for a tensor of exactly one element."""
        return ops.is_nonzero(self)

    def isneginf(self, *, out=None):
        """Elementwise ``isneginf`` (NumPy's ``isneginf``), without gradient."""
        return ops.isneginf(self, out=out)

    def isposinf(self, *, out=None):
        """Elementwise ``isposinf`` (NumPy's ``isposinf``), without gradient."""
        return ops.isposinf(self, out=out)

    def isreal(self):
        """True everywhere for a real dtype (nerve has no complex tensors of its own)"""
        return ops.isreal(self)

    def lcm(self, other, *, out=None):
        """Elementwise ``lcm`` (NumPy's ``lcm``), without gradient."""
        return ops.lcm(self, other, out=out)

    def less(self, other, *, out=None):
        """Elementwise ``lt`` (NumPy's ``less``), without gradient."""
        return ops.lt(self, other, out=out)

    def less_equal(self, other, *, out=None):
        """Elementwise ``le`` (NumPy's ``less_equal``), without gradient."""
        return ops.le(self, other, out=out)

    def logical_and(self, other, *, out=None):
        """Elementwise ``logical_and`` (NumPy's ``logical_and``), without gradient."""
        return ops.logical_and(self, other, out=out)

    def logical_or(self, other, *, out=None):
        """Elementwise ``logical_or`` (NumPy's ``logical_or``), without gradient."""
        return ops.logical_or(self, other, out=out)

    def logical_xor(self, other, *, out=None):
        """Elementwise ``logical_xor`` (NumPy's ``logical_xor``), without gradient."""
        return ops.logical_xor(self, other, out=out)

    def nextafter(self, other, *, out=None):
        """Elementwise ``nextafter`` (NumPy's ``nextafter``), without gradient."""
        return ops.nextafter(self, other, out=out)

    def not_equal(self, other, *, out=None):
        """Elementwise ``ne`` (NumPy's ``not_equal``), without gradient."""
        return ops.ne(self, other, out=out)

    def signbit(self, *, out=None):
        """Whether the sign bit is set (True for -0.0 too), without gradient."""
        return ops.signbit(self, out=out)
