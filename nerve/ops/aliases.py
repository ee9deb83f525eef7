"""PyTorch's other names for existing ops (divide, multiply, absolute, greater ...) and the
top-level forms, with PyTorch's signatures, of ops that nerve first had as Tensor methods
(floor, all, isfinite ...). No new math here: each wraps an op defined elsewhere."""

from __future__ import annotations

from nerve.backend import array_module
from nerve.dtypes import uint8
from nerve.ops import compare as C
from nerve.ops import elementwise as E
from nerve.ops.compare_more import floor_divide, trunc_divide
from nerve.ops.mathfns_more import Trunc, _refuse, no_out


def _wrap(arr):
    from nerve.tensor import Tensor

    return Tensor._wrap(arr)


def _kind(v) -> str:
    return getattr(getattr(v, "dtype", None), "kind", "i")


def divide(input, other, *, rounding_mode=None, out=None):  # noqa: A002 - PyTorch's names
    """input / other; ``rounding_mode`` "trunc" rounds toward zero, "floor" down (Python's
    //). Rounded float quotients keep a zero gradient for ``trunc``, as in PyTorch."""
    no_out(out, "divide")
    if rounding_mode is None:
        return E.div(input, other)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        if _kind(input) == "f" or _kind(other) == "f" or isinstance(other, float):
            return Trunc.apply(E.div(input, other))
        return trunc_divide(input, other)
    raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                       f"found '{rounding_mode}'")


def true_divide(input, other, *, out=None):  # noqa: A002
    no_out(out, "true_divide")
    return E.div(input, other)


def multiply(input, other, *, out=None):  # noqa: A002
    no_out(out, "multiply")
    return E.mul(input, other)


def subtract(input, other, *, alpha=1, out=None):  # noqa: A002
    no_out(out, "subtract")
    return E.sub(input, other, alpha)


def negative(input, *, out=None):  # noqa: A002
    no_out(out, "negative")
    return E.neg(input)


def positive(input):  # noqa: A002
    """input itself (an error for bool, as in PyTorch)."""
    if input.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def absolute(input, *, out=None):  # noqa: A002
    no_out(out, "absolute")
    return E.abs(input)


def sgn(input, *, out=None):  # noqa: A002
    """sign(input) for real tensors (PyTorch's complex-aware sign)."""
    no_out(out, "sgn")
    return input.clone() if input.dtype.kind == "b" else C.sign(input)


def _reduce_dtype(input, result):  # noqa: A002
    # PyTorch's all/any keep uint8 for a uint8 input, bool otherwise
    return result.to(uint8) if input.dtype == uint8 else result


def all(input, dim=None, keepdim=False, *, out=None):  # noqa: A001, A002
    no_out(out, "all")
    return _reduce_dtype(input, C.all(input, _dims(dim), keepdim))


def any(input, dim=None, keepdim=False, *, out=None):  # noqa: A001, A002
    no_out(out, "any")
    return _reduce_dtype(input, C.any(input, _dims(dim), keepdim))


def _dims(dim):
    return tuple(dim) if isinstance(dim, list) else dim


def count_nonzero(input, dim=None):  # noqa: A002
    return C.count_nonzero(input, _dims(dim))


def _unary(fn, name: str, refuse: str = ""):
    def op(input, *, out=None):  # noqa: A002
        no_out(out, name)
        _refuse(name, refuse, input)
        return fn(input)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = fn.__doc__
    return op


floor = _unary(C.floor, "floor", refuse="b")
ceil = _unary(C.ceil, "ceil", refuse="b")
isfinite = _unary(C.isfinite, "isfinite")
isinf = _unary(C.isinf, "isinf")
logical_not = _unary(C.logical_not, "logical_not")


def round(input, *, decimals=0, out=None):  # noqa: A001, A002
    """Round half to even, at ``decimals`` digits after the point."""
    no_out(out, "round")
    _refuse("round", "b", input)
    if decimals == 0:
        return C.round(input)
    return _wrap(array_module(input._data).round(input._data, decimals))
