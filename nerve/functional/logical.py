"""More ops without a gradient: named comparisons (ge, greater ...), logical and bitwise
ops, float tests (isposinf, signbit ...), isin, integer arithmetic (gcd, lcm,
floor_divide), heaviside and nextafter. Their results are bool, integer or piecewise
constant, so they are plain tensors outside the graph. Operands are promoted by
PyTorch's rules (nerve.dtypes.result_type) before the array module sees them."""

from __future__ import annotations

from nerve.autograd.function import wrap
from nerve.backend import array_module
from nerve.backend.arrayfns import broadcast_shapes, errstate
from nerve.dtypes import is_floating, result_type
from nerve.ops.math.elementwise import need_tensor
from nerve.ops.math.transcendental import no_out, refuse_kinds
from nerve.tensor import ops_table

__all__ = [
    "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "floor_divide", "gcd", "ge",
    "greater", "greater_equal", "gt", "heaviside", "is_nonzero", "isin", "isneginf", "isposinf",
    "isreal", "lcm", "le", "less", "less_equal", "logical_and", "logical_or", "logical_xor",
    "lt", "ne", "nextafter", "not_equal", "signbit",
]  # fmt: skip


def _array(v):
    return v._data if hasattr(v, "_data") else v


def _shape(v) -> tuple:
    return tuple(getattr(v, "shape", ()))


def _operands(a, b, op: str):
    a, b = _array(a), _array(b)
    dtype = result_type(a, b)
    try:
        broadcast_shapes(_shape(a), _shape(b))
    except ValueError:
        raise RuntimeError(
            f"{op}: the shapes {list(_shape(a))} and {list(_shape(b))} cannot be broadcast together"
        ) from None
    xp = array_module(a, b)
    return xp.asarray(a, dtype=dtype), xp.asarray(b, dtype=dtype)


def _binary(ufunc: str, name: str, refuse: str = "", promote: bool = True, scalar: bool = True):
    def op(input, other, *, out=None):  # noqa: A002 - PyTorch's argument names
        no_out(out, name)
        if not scalar:
            need_tensor(name, other)
        refuse_kinds(name, refuse, input, other)
        if promote:
            a, b = _operands(input, other, name)
        else:
            a, b = _array(input), _array(other)
        xp = array_module(a, b)
        with errstate(xp, invalid="ignore"):
            return wrap(getattr(xp, ufunc)(a, b))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` (NumPy's ``{ufunc}``), without gradient."
    return op


def _unary(ufunc: str, name: str, refuse: str = ""):
    def op(input, *, out=None):
        no_out(out, name)
        refuse_kinds(name, refuse, input)
        return wrap(getattr(array_module(input._data), ufunc)(input._data))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` (NumPy's ``{ufunc}``), without gradient."
    return op


# comparisons: NumPy compares mixed dtypes exactly (int64 with 2.5), so no promotion
ge = greater_equal = _binary("greater_equal", "ge", promote=False)
gt = greater = _binary("greater", "gt", promote=False)
le = less_equal = _binary("less_equal", "le", promote=False)
lt = less = _binary("less", "lt", promote=False)
ne = not_equal = _binary("not_equal", "ne", promote=False)
eq = _binary("equal", "eq", promote=False)
logical_and = _binary("logical_and", "logical_and", promote=False, scalar=False)
logical_or = _binary("logical_or", "logical_or", promote=False, scalar=False)
logical_xor = _binary("logical_xor", "logical_xor", promote=False, scalar=False)
bitwise_and = _binary("bitwise_and", "bitwise_and", refuse="fc")
bitwise_or = _binary("bitwise_or", "bitwise_or", refuse="fc")
bitwise_xor = _binary("bitwise_xor", "bitwise_xor", refuse="fc")
bitwise_not = _unary("invert", "bitwise_not", refuse="fc")
gcd = _binary("gcd", "gcd", refuse="bfc")
lcm = _binary("lcm", "lcm", refuse="bfc")
nextafter = _binary("nextafter", "nextafter", refuse="biu", scalar=False)
isposinf = _unary("isposinf", "isposinf")
isneginf = _unary("isneginf", "isneginf")


def signbit(input, *, out=None):
    """Whether the sign bit is set (True for -0.0 too), without gradient."""
    no_out(out, "signbit")
    arr = input._data
    xp = array_module(arr)
    return wrap(xp.signbit(arr) if arr.dtype.kind in "fiu" else xp.zeros(arr.shape, bool))


def isreal(input):
    """True everywhere for a real dtype (nerve has no complex tensors of its own)."""
    arr = input._data
    return wrap(array_module(arr).ones(arr.shape, bool) if arr.dtype.kind != "c" else arr.imag == 0)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each of ``elements`` occurs in ``test_elements`` (either may be a scalar)."""
    a, b = _array(elements), _array(test_elements)
    xp = array_module(a, b)
    a, b = xp.asarray(a), xp.asarray(b)
    if a.dtype.kind == "b" or b.dtype.kind == "b":
        raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    return wrap(xp.isin(a, b, assume_unique=assume_unique, invert=invert))


def heaviside(input, values, *, out=None):
    """0 where input < 0 (and where it is NaN), ``values`` where input = 0, 1 where > 0."""
    no_out(out, "heaviside")
    need_tensor("heaviside", values, "values")
    x, v = _array(input), _array(values)
    xp = array_module(x, v)
    x, v = xp.asarray(x), xp.asarray(v)
    if x.dtype != v.dtype:
        raise RuntimeError(
            "heaviside is not yet implemented for tensors with different "
            f"dtypes (got {x.dtype} and {v.dtype})"
        )
    x, v = _operands(x, v, "heaviside")
    return wrap(xp.where(x == 0, v, x > 0).astype(x.dtype))


def _check_int_divisor(op: str, a, b) -> None:
    # a host sync on a device (torch's CUDA kernels do not check)
    if a.dtype.kind in "iu" and array_module(b).any(b == 0):
        raise RuntimeError(f"{op}: ZeroDivisionError (an integer divided by zero)")


def floor_divide(input, other, *, out=None):
    """⌊input / other⌋ (Python's //), without gradient."""
    no_out(out, "floor_divide")
    refuse_kinds("floor_divide", "b", input, other)
    a, b = _operands(input, other, "floor_divide")
    _check_int_divisor("floor_divide", a, b)
    xp = array_module(a, b)
    with errstate(xp, divide="ignore", invalid="ignore"):
        return wrap(xp.floor_divide(a, b))


def trunc_divide(input, other):
    """input / other rounded toward zero (``div(..., rounding_mode="trunc")``)."""
    refuse_kinds("div", "b", input, other)
    a, b = _operands(input, other, "div")
    _check_int_divisor("div", a, b)
    xp = array_module(a, b)
    with errstate(xp, divide="ignore", invalid="ignore"):
        if is_floating(a.dtype):
            return wrap(xp.trunc(a / b))
        # exact for every int64: remove the truncated remainder, then divide
        return wrap((a - xp.fmod(a, b)) // b)


def is_nonzero(input) -> bool:
    """bool(input) for a tensor of exactly one element."""
    n = input._data.size
    if n != 1:
        raise RuntimeError(
            "Boolean value of Tensor with "
            f"{'no values' if n == 0 else 'more than one value'} is ambiguous"
        )
    return bool(input._data.reshape(()))


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    eq,
    floor_divide,
    gcd,
    ge,
    gt,
    heaviside,
    is_nonzero,
    isneginf,
    isposinf,
    isreal,
    lcm,
    le,
    logical_and,
    logical_or,
    logical_xor,
    lt,
    ne,
    nextafter,
    signbit,
)
