"""In-place forms (``x.tan_()``, ``x.fmod_(2)``, ``x.ge_(y)`` ...) of the ops in
mathfns_more, compare_more and aliases, through nerve/ops/inplace.py's ``inplace_call``:
written into the tensor's array outside a graph, computed out of place and rebound
inside one. A result that does not fit the tensor's dtype (``int_tensor.tan_()``) is a
RuntimeError, as in PyTorch; a comparison writes 1/0 in the tensor's own dtype."""

from __future__ import annotations

from nerve.dtypes import float64
from nerve.ops import aliases as AL
from nerve.ops import compare_more as CM
from nerve.ops import elementwise as E
from nerve.ops import mathfns as M
from nerve.ops import mathfns_more as MM
from nerve.ops.inplace import inplace_call


def _inplace(name: str, fn):
    op = name + "_"

    def method(input, *args, **kwargs):  # noqa: A002 - PyTorch's argument names
        return inplace_call(input, op, fn, *args, **kwargs)

    method.__name__ = method.__qualname__ = op
    method.__doc__ = f"In-place ``{name}``: the result is written into this tensor."
    return method


def _float_power_(input, exponent):  # noqa: A002
    if input.dtype != float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {input.dtype} but the "
                           "operation's result requires dtype float64")
    return inplace_call(input, "float_power_", MM.float_power, exponent)


def _polygamma_(input, n):  # noqa: A002
    return inplace_call(input, "polygamma_", lambda x: MM.polygamma(n, x))


_FUNCTIONS = {
    "tan": MM.tan, "asin": MM.asin, "acos": MM.acos, "atan": MM.atan, "arcsin": MM.asin,
    "arccos": MM.acos, "arctan": MM.atan, "sinh": MM.sinh, "cosh": MM.cosh,
    "asinh": MM.asinh, "acosh": MM.acosh, "atanh": MM.atanh, "arcsinh": MM.asinh,
    "arccosh": MM.acosh, "arctanh": MM.atanh, "arctan2": M.atan2, "log2": MM.log2,
    "log10": MM.log10, "exp2": MM.exp2, "reciprocal": MM.reciprocal, "rsqrt": MM.rsqrt,
    "trunc": MM.trunc, "fix": MM.trunc, "frac": MM.frac, "fmod": MM.fmod,
    "remainder": MM.remainder, "hypot": MM.hypot, "xlogy": MM.xlogy, "lgamma": MM.lgamma,
    "digamma": MM.digamma, "mvlgamma": MM.mvlgamma, "erfc": MM.erfc, "erfinv": MM.erfinv,
    "i0": MM.i0, "logit": MM.logit, "sinc": MM.sinc, "copysign": MM.copysign,
    "nan_to_num": MM.nan_to_num, "ldexp": MM.ldexp, "deg2rad": MM.deg2rad,
    "rad2deg": MM.rad2deg, "heaviside": CM.heaviside, "nextafter": CM.nextafter,
    "gcd": CM.gcd, "lcm": CM.lcm, "floor_divide": CM.floor_divide, "ge": CM.ge, "gt": CM.gt,
    "le": CM.le, "lt": CM.lt, "ne": CM.ne, "eq": CM.eq, "greater": CM.gt,
    "greater_equal": CM.ge, "less": CM.lt, "less_equal": CM.le, "not_equal": CM.ne,
    "logical_and": CM.logical_and, "logical_or": CM.logical_or,
    "logical_xor": CM.logical_xor, "logical_not": AL.logical_not,
    "bitwise_and": CM.bitwise_and, "bitwise_or": CM.bitwise_or,
    "bitwise_xor": CM.bitwise_xor, "bitwise_not": CM.bitwise_not, "absolute": E.abs,
    "true_divide": E.div, "divide": AL.divide, "multiply": E.mul, "subtract": AL.subtract,
    "negative": E.neg, "sgn": AL.sgn,
}
INPLACE_MORE = {name + "_": _inplace(name, fn) for name, fn in _FUNCTIONS.items()}
INPLACE_MORE["float_power_"] = _float_power_
INPLACE_MORE["polygamma_"] = _polygamma_
