"""Comparisons, tests, arg-max/min and rounding: ops without a gradient. Their results
are integer, bool or piecewise-constant, so they are plain tensors outside the graph."""

from __future__ import annotations

from nerve.autograd.function import wrap
from nerve.backend import array_module
from nerve.dtypes import int64, uint8
from nerve.ops.math.elementary import same_dtype_tensors
from nerve.ops.math.elementwise import need_tensor
from nerve.ops.math.transcendental import no_out, refuse_kinds
from nerve.tensor import ops_table
from nerve.tensor import wrap_dim as _dim

__all__ = [
    "all", "any", "ceil", "count_nonzero", "floor", "isfinite", "isinf", "logical_not", "round",
]  # fmt: skip


def _no_bool(input, op: str) -> None:
    if input._data.dtype.kind == "b":
        raise RuntimeError(f"{op}(): does not support bool input")


def _arg(name, input, dim, keepdim):  # noqa: A002 - PyTorch's argument names
    xp = array_module(input._data)
    fn = getattr(xp, name)
    if dim is None:
        return wrap(xp.asarray(fn(input._data), dtype=int64))
    axis = _dim(dim, input.ndim, name)
    if input.ndim == 0:
        return wrap(xp.zeros((), int64))
    return wrap(fn(input._data, axis=axis, keepdims=keepdim).astype(int64))


def argmax(input, dim=None, keepdim=False):
    _no_bool(input, "argmax")
    return _arg("argmax", input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    _no_bool(input, "argmin")
    return _arg("argmin", input, dim, keepdim)


def equal(input, other) -> bool:
    need_tensor("equal", other)
    return input.shape == other.shape and bool((input._data == other._data).all())


def allclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    other = same_dtype_tensors("allclose", input, other)
    xp = array_module(input._data)
    return bool(xp.allclose(input._data, other._data, rtol, atol, equal_nan))


def _any(input, dim=None, keepdim=False):
    return wrap(input._data.any(axis=dim, keepdims=keepdim))


def _all(input, dim=None, keepdim=False):
    return wrap(input._data.all(axis=dim, keepdims=keepdim))


def _count_nonzero(input, dim=None):
    return wrap(array_module(input._data).count_nonzero(input._data, axis=dim))


def nonzero(input):
    return wrap(array_module(input._data).argwhere(input._data))


def _elementwise(name: str):
    def op(input):
        return wrap(getattr(array_module(input._data), name)(input._data))

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}``, without gradient."
    return op


_logical_not = _elementwise("logical_not")
_sign = _elementwise("sign")


def sign(input):
    """Elementwise ``sign``, without gradient; a bool tensor is its own sign."""
    return wrap(input._data.copy()) if input._data.dtype.kind == "b" else _sign(input)


isnan = _elementwise("isnan")
_isinf = _elementwise("isinf")
_isfinite = _elementwise("isfinite")
_floor = _elementwise("floor")
_ceil = _elementwise("ceil")
_round = _elementwise("round")


# ----- PyTorch's signatures (out=, a list of dims) for the ops above -----------------
def _reduce_dtype(input, result):
    # PyTorch's all/any keep uint8 for a uint8 input, bool otherwise
    return result.to(uint8) if input.dtype == uint8 else result


def all(input, dim=None, keepdim=False, *, out=None):  # noqa: A001, A002
    no_out(out, "all")
    return _reduce_dtype(input, _all(input, _dims(dim), keepdim))


def any(input, dim=None, keepdim=False, *, out=None):  # noqa: A001, A002
    no_out(out, "any")
    return _reduce_dtype(input, _any(input, _dims(dim), keepdim))


def _dims(dim):
    return tuple(dim) if isinstance(dim, list) else dim


def count_nonzero(input, dim=None):
    return _count_nonzero(input, _dims(dim))


def _unary(fn, name: str, refuse: str = ""):
    def op(input, *, out=None):
        no_out(out, name)
        refuse_kinds(name, refuse, input)
        return fn(input)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = fn.__doc__
    return op


floor = _unary(_floor, "floor", refuse="b")
ceil = _unary(_ceil, "ceil", refuse="b")
isfinite = _unary(_isfinite, "isfinite")
isinf = _unary(_isinf, "isinf")
logical_not = _unary(_logical_not, "logical_not")


def round(input, *, decimals=0, out=None):  # noqa: A001, A002
    """Round half to even, at ``decimals`` digits after the point."""
    no_out(out, "round")
    refuse_kinds("round", "b", input)
    if decimals == 0:
        return _round(input)
    return wrap(array_module(input._data).round(input._data, decimals))


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(
    all,
    allclose,
    any,
    argmax,
    argmin,
    ceil,
    count_nonzero,
    equal,
    floor,
    isfinite,
    isinf,
    isnan,
    logical_not,
    round,
    sign,
)
