"""PyTorch's arithmetic names with PyTorch's signatures, on the ops in elementwise.py:
``divide`` (with ``rounding_mode``), ``true_divide``, ``multiply``, ``subtract``,
``negative``, ``positive``, ``absolute``, ``sgn``. No new math: each calls an op."""

from __future__ import annotations

from nerve.functional import compare as C
from nerve.functional.logical import floor_divide, trunc_divide
from nerve.ops.math import elementwise as E
from nerve.ops.math.transcendental import Trunc, no_out
from nerve.tensor import ops_table

__all__ = [
    "absolute", "divide", "multiply", "negative", "positive", "sgn", "subtract", "true_divide",
]  # fmt: skip


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
    raise RuntimeError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
        f"found '{rounding_mode}'"
    )


def true_divide(input, other, *, out=None):
    no_out(out, "true_divide")
    return E.div(input, other)


def multiply(input, other, *, out=None):
    no_out(out, "multiply")
    return E.mul(input, other)


def subtract(input, other, *, alpha=1, out=None):
    no_out(out, "subtract")
    return E.sub(input, other, alpha)


def negative(input, *, out=None):
    no_out(out, "negative")
    return E.neg(input)


def positive(input):
    """input itself (an error for bool, as in PyTorch)."""
    if input.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def absolute(input, *, out=None):
    no_out(out, "absolute")
    return E.abs(input)


def sgn(input, *, out=None):
    """sign(input) for real tensors (PyTorch's complex-aware sign)."""
    no_out(out, "sgn")
    return input.clone() if input.dtype.kind == "b" else C.sign(input)


ops_table.register(divide, true_divide, multiply, subtract, negative, positive, absolute, sgn)
