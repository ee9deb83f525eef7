"""Tensor's in-place elementwise math: ``x.exp_()``, ``x.relu_()``, ``x.fmod_(2)`` ...

Each method is declared here and calls the op of the same name (or the one named) in
the ops table, ``nerve/tensor/ops_table.py``, which the op modules fill as they load;
the comment above each group names the file that holds the ops. In-place forms go
through ``nerve/ops/inplace/updates.py``'s ``inplace_call``: written into the tensor's array
outside a graph, computed out of place and rebound inside one.
"""

from __future__ import annotations

from nerve.tensor.ops_table import ops


class InplaceMathMethods:
    """Tensor's in-place elementwise math (a mixin of Tensor)."""

    __slots__ = ()

    # ----- nerve/ops/math/elementwise.py --------------------------------------------------------

    def abs_(self):
        """In-place ``abs``: the result is written into this tensor."""
        return ops.inplace_call(self, "abs_", ops.abs)

    def absolute_(self):
        """In-place ``absolute``: the result is written into this tensor."""
        return ops.inplace_call(self, "absolute_", ops.abs)

    def cos_(self):
        """In-place ``cos``: the result is written into this tensor."""
        return ops.inplace_call(self, "cos_", ops.cos)

    def exp_(self):
        """In-place ``exp``: the result is written into this tensor."""
        return ops.inplace_call(self, "exp_", ops.exp)

    def log_(self):
        """In-place ``log``: the result is written into this tensor."""
        return ops.inplace_call(self, "log_", ops.log)

    def multiply_(self, other):
        """In-place ``multiply``: the result is written into this tensor."""
        return ops.inplace_call(self, "multiply_", ops.mul, other)

    def neg_(self):
        """In-place ``neg``: the result is written into this tensor."""
        return ops.inplace_call(self, "neg_", ops.neg)

    def negative_(self):
        """In-place ``negative``: the result is written into this tensor."""
        return ops.inplace_call(self, "negative_", ops.neg)

    def pow_(self, exponent):
        """In-place ``pow``: the result is written into this tensor."""
        return ops.inplace_call(self, "pow_", ops.pow, exponent)

    def sin_(self):
        """In-place ``sin``: the result is written into this tensor."""
        return ops.inplace_call(self, "sin_", ops.sin)

    def sqrt_(self):
        """In-place ``sqrt``: the result is written into this tensor."""
        return ops.inplace_call(self, "sqrt_", ops.sqrt)

    def square_(self):
        """In-place ``square``: the result is written into this tensor."""
        return ops.inplace_call(self, "square_", ops.square)

    def true_divide_(self, other, *, rounding_mode=None, out=None):
        """In-place ``true_divide``: the result is written into this tensor."""
        return ops.inplace_call(
            self, "true_divide_", ops.div, other, rounding_mode=rounding_mode, out=out
        )

    # ----- nerve/functional/arithmetic.py -------------------------------------------------------

    def divide_(self, other, *, rounding_mode=None, out=None):
        """In-place ``divide``: the result is written into this tensor."""
        return ops.inplace_call(
            self, "divide_", ops.divide, other, rounding_mode=rounding_mode, out=out
        )

    def sgn_(self, *, out=None):
        """In-place ``sgn``: the result is written into this tensor."""
        return ops.inplace_call(self, "sgn_", ops.sgn, out=out)

    def subtract_(self, other, *, alpha=1, out=None):
        """In-place ``subtract``: the result is written into this tensor."""
        return ops.inplace_call(self, "subtract_", ops.subtract, other, alpha=alpha, out=out)

    # ----- nerve/ops/math/elementary.py -----------------------------------------------------------

    def arctan2_(self, other):
        """In-place ``arctan2``: the result is written into this tensor."""
        return ops.inplace_call(self, "arctan2_", ops.atan2, other)

    def atan2_(self, other):
        """In-place ``atan2``: the result is written into this tensor."""
        return ops.inplace_call(self, "atan2_", ops.atan2, other)

    def erf_(self):
        """In-place ``erf``: the result is written into this tensor."""
        return ops.inplace_call(self, "erf_", ops.erf)

    def expm1_(self):
        """In-place ``expm1``: the result is written into this tensor."""
        return ops.inplace_call(self, "expm1_", ops.expm1)

    def lerp_(self, end, weight):
        """In-place ``lerp``: the result is written into this tensor."""
        return ops.inplace_call(self, "lerp_", ops.lerp, end, weight)

    def log1p_(self):
        """In-place ``log1p``: the result is written into this tensor."""
        return ops.inplace_call(self, "log1p_", ops.log1p)

    # ----- nerve/ops/math/transcendental.py -------------------------------------------------------

    def acos_(self, *, out=None):
        """In-place ``acos``: the result is written into this tensor."""
        return ops.inplace_call(self, "acos_", ops.acos, out=out)

    def acosh_(self, *, out=None):
        """In-place ``acosh``: the result is written into this tensor."""
        return ops.inplace_call(self, "acosh_", ops.acosh, out=out)

    def arccos_(self, *, out=None):
        """In-place ``arccos``: the result is written into this tensor."""
        return ops.inplace_call(self, "arccos_", ops.acos, out=out)

    def arccosh_(self, *, out=None):
        """In-place ``arccosh``: the result is written into this tensor."""
        return ops.inplace_call(self, "arccosh_", ops.acosh, out=out)

    def arcsin_(self, *, out=None):
        """In-place ``arcsin``: the result is written into this tensor."""
        return ops.inplace_call(self, "arcsin_", ops.asin, out=out)

    def arcsinh_(self, *, out=None):
        """In-place ``arcsinh``: the result is written into this tensor."""
        return ops.inplace_call(self, "arcsinh_", ops.asinh, out=out)

    def arctan_(self, *, out=None):
        """In-place ``arctan``: the result is written into this tensor."""
        return ops.inplace_call(self, "arctan_", ops.atan, out=out)

    def arctanh_(self, *, out=None):
        """In-place ``arctanh``: the result is written into this tensor."""
        return ops.inplace_call(self, "arctanh_", ops.atanh, out=out)

    def asin_(self, *, out=None):
        """In-place ``asin``: the result is written into this tensor."""
        return ops.inplace_call(self, "asin_", ops.asin, out=out)

    def asinh_(self, *, out=None):
        """In-place ``asinh``: the result is written into this tensor."""
        return ops.inplace_call(self, "asinh_", ops.asinh, out=out)

    def atan_(self, *, out=None):
        """In-place ``atan``: the result is written into this tensor."""
        return ops.inplace_call(self, "atan_", ops.atan, out=out)

    def atanh_(self, *, out=None):
        """In-place ``atanh``: the result is written into this tensor."""
        return ops.inplace_call(self, "atanh_", ops.atanh, out=out)

    def copysign_(self, other, *, out=None):
        """In-place ``copysign``: the result is written into this tensor."""
        return ops.inplace_call(self, "copysign_", ops.copysign, other, out=out)

    def cosh_(self, *, out=None):
        """In-place ``cosh``: the result is written into this tensor."""
        return ops.inplace_call(self, "cosh_", ops.cosh, out=out)

    def deg2rad_(self, *, out=None):
        """In-place ``deg2rad``: the result is written into this tensor."""
        return ops.inplace_call(self, "deg2rad_", ops.deg2rad, out=out)

    def digamma_(self, *, out=None):
        """In-place ``digamma``: the result is written into this tensor."""
        return ops.inplace_call(self, "digamma_", ops.digamma, out=out)

    def erfc_(self, *, out=None):
        """In-place ``erfc``: the result is written into this tensor."""
        return ops.inplace_call(self, "erfc_", ops.erfc, out=out)

    def erfinv_(self, *, out=None):
        """In-place ``erfinv``: the result is written into this tensor."""
        return ops.inplace_call(self, "erfinv_", ops.erfinv, out=out)

    def exp2_(self, *, out=None):
        """In-place ``exp2``: the result is written into this tensor."""
        return ops.inplace_call(self, "exp2_", ops.exp2, out=out)

    def fix_(self, *, out=None):
        """In-place ``fix``: the result is written into this tensor."""
        return ops.inplace_call(self, "fix_", ops.trunc, out=out)

    def fmod_(self, other, *, out=None):
        """In-place ``fmod``: the result is written into this tensor."""
        return ops.inplace_call(self, "fmod_", ops.fmod, other, out=out)

    def frac_(self, *, out=None):
        """In-place ``frac``: the result is written into this tensor."""
        return ops.inplace_call(self, "frac_", ops.frac, out=out)

    def hypot_(self, other, *, out=None):
        """In-place ``hypot``: the result is written into this tensor."""
        return ops.inplace_call(self, "hypot_", ops.hypot, other, out=out)

    def i0_(self, *, out=None):
        """In-place ``i0``: the result is written into this tensor."""
        return ops.inplace_call(self, "i0_", ops.i0, out=out)

    def ldexp_(self, other, *, out=None):
        """In-place ``ldexp``: the result is written into this tensor."""
        return ops.inplace_call(self, "ldexp_", ops.ldexp, other, out=out)

    def lgamma_(self, *, out=None):
        """In-place ``lgamma``: the result is written into this tensor."""
        return ops.inplace_call(self, "lgamma_", ops.lgamma, out=out)

    def log10_(self, *, out=None):
        """In-place ``log10``: the result is written into this tensor."""
        return ops.inplace_call(self, "log10_", ops.log10, out=out)

    def log2_(self, *, out=None):
        """In-place ``log2``: the result is written into this tensor."""
        return ops.inplace_call(self, "log2_", ops.log2, out=out)

    def logit_(self, eps=None, *, out=None):
        """In-place ``logit``: the result is written into this tensor."""
        return ops.inplace_call(self, "logit_", ops.logit, eps, out=out)

    def mvlgamma_(self, p, *, out=None):
        """In-place ``mvlgamma``: the result is written into this tensor."""
        return ops.inplace_call(self, "mvlgamma_", ops.mvlgamma, p, out=out)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None, *, out=None):
        """In-place ``nan_to_num``: the result is written into this tensor."""
        return ops.inplace_call(self, "nan_to_num_", ops.nan_to_num, nan, posinf, neginf, out=out)

    def rad2deg_(self, *, out=None):
        """In-place ``rad2deg``: the result is written into this tensor."""
        return ops.inplace_call(self, "rad2deg_", ops.rad2deg, out=out)

    def reciprocal_(self, *, out=None):
        """In-place ``reciprocal``: the result is written into this tensor."""
        return ops.inplace_call(self, "reciprocal_", ops.reciprocal, out=out)

    def remainder_(self, other, *, out=None):
        """In-place ``remainder``: the result is written into this tensor."""
        return ops.inplace_call(self, "remainder_", ops.remainder, other, out=out)

    def rsqrt_(self, *, out=None):
        """In-place ``rsqrt``: the result is written into this tensor."""
        return ops.inplace_call(self, "rsqrt_", ops.rsqrt, out=out)

    def sinc_(self, *, out=None):
        """In-place ``sinc``: the result is written into this tensor."""
        return ops.inplace_call(self, "sinc_", ops.sinc, out=out)

    def sinh_(self, *, out=None):
        """In-place ``sinh``: the result is written into this tensor."""
        return ops.inplace_call(self, "sinh_", ops.sinh, out=out)

    def tan_(self, *, out=None):
        """In-place ``tan``: the result is written into this tensor."""
        return ops.inplace_call(self, "tan_", ops.tan, out=out)

    def trunc_(self, *, out=None):
        """In-place ``trunc``: the result is written into this tensor."""
        return ops.inplace_call(self, "trunc_", ops.trunc, out=out)

    def xlogy_(self, other, *, out=None):
        """In-place ``xlogy``: the result is written into this tensor."""
        return ops.inplace_call(self, "xlogy_", ops.xlogy, other, out=out)

    # ----- nerve/ops/nn/activation.py ---------------------------------------------------------

    def relu_(self, inplace=False):
        """In-place ``relu``: the result is written into this tensor."""
        return ops.inplace_call(self, "relu_", ops.relu, inplace)

    def sigmoid_(self):
        """In-place ``sigmoid``: the result is written into this tensor."""
        return ops.inplace_call(self, "sigmoid_", ops.sigmoid)

    def tanh_(self):
        """In-place ``tanh``: the result is written into this tensor."""
        return ops.inplace_call(self, "tanh_", ops.tanh)

    # ----- with their own checks -----------------------------------------------------
    def float_power_(self, exponent):
        """In-place ``float_power``: only a float64 tensor can hold the result."""
        if self.dtype != "float64":
            raise RuntimeError(
                f"the base given to float_power_ has dtype {self.dtype} but the "
                "operation's result requires dtype float64"
            )
        return ops.inplace_call(self, "float_power_", ops.float_power, exponent)

    def polygamma_(self, n):
        """In-place ``polygamma(n, self)``."""
        return ops.inplace_call(self, "polygamma_", lambda x: ops.polygamma(n, x))
