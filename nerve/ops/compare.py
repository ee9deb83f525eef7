"""Comparisons, tests, arg-max/min and rounding: ops without a gradient. Their results
are integer, bool or piecewise-constant, so they are plain tensors outside the graph."""

from __future__ import annotations

from nerve.backend import array_module
from nerve.dtypes import int64


def _wrap(arr):
    from nerve.tensor import Tensor

    return Tensor._wrap(arr)


def _no_bool(input, op: str) -> None:  # noqa: A002
    if input._data.dtype.kind == "b":
        raise RuntimeError(f"{op}(): does not support bool input")


def _arg(name, input, dim, keepdim):  # noqa: A002 - PyTorch's argument names
    from nerve.tensor import _dim

    xp = array_module(input._data)
    fn = getattr(xp, name)
    if dim is None:
        return _wrap(xp.asarray(fn(input._data), dtype=int64))
    axis = _dim(dim, input.ndim, name)
    if input.ndim == 0:
        return _wrap(xp.zeros((), int64))
    return _wrap(fn(input._data, axis=axis, keepdims=keepdim).astype(int64))


def argmax(input, dim=None, keepdim=False):  # noqa: A002
    _no_bool(input, "argmax")
    return _arg("argmax", input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):  # noqa: A002
    _no_bool(input, "argmin")
    return _arg("argmin", input, dim, keepdim)


def equal(input, other) -> bool:  # noqa: A002
    from nerve.ops.elementwise import need_tensor

    need_tensor("equal", other)
    return input.shape == other.shape and bool((input._data == other._data).all())


def allclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:  # noqa: A002
    from nerve.ops.mathfns import _same_dtype_tensors

    other = _same_dtype_tensors("allclose", input, other)
    xp = array_module(input._data)
    return bool(xp.allclose(input._data, other._data, rtol, atol, equal_nan))


def any(input, dim=None, keepdim=False):  # noqa: A001, A002
    return _wrap(input._data.any(axis=dim, keepdims=keepdim))


def all(input, dim=None, keepdim=False):  # noqa: A001, A002
    return _wrap(input._data.all(axis=dim, keepdims=keepdim))


def count_nonzero(input, dim=None):  # noqa: A002
    return _wrap(array_module(input._data).count_nonzero(input._data, axis=dim))


def nonzero(input):  # noqa: A002
    return _wrap(array_module(input._data).argwhere(input._data))


def _elementwise(name: str):
    def op(input):  # noqa: A002
        return _wrap(getattr(array_module(input._data), name)(input._data))

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}``, without gradient."
    return op


logical_not = _elementwise("logical_not")
_sign = _elementwise("sign")


def sign(input):  # noqa: A002
    """Elementwise ``sign``, without gradient; a bool tensor is its own sign."""
    return _wrap(input._data.copy()) if input._data.dtype.kind == "b" else _sign(input)

isnan = _elementwise("isnan")
isinf = _elementwise("isinf")
isfinite = _elementwise("isfinite")
floor = _elementwise("floor")
ceil = _elementwise("ceil")
round = _elementwise("round")  # noqa: A001
