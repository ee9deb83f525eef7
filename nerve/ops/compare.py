"""Comparisons, tests, arg-max/min and rounding: ops without a gradient. Their results
are integer, bool or piecewise-constant, so they are plain tensors outside the graph."""

from __future__ import annotations

import numpy as np


def _wrap(arr):
    from nerve.tensor import Tensor

    return Tensor._wrap(np.asarray(arr))


def _no_bool(input, op: str) -> None:  # noqa: A002
    if input._data.dtype == np.bool_:
        raise RuntimeError(f"{op}(): does not support bool input")


def _arg(fn, input, dim, keepdim):  # noqa: A002 - PyTorch's argument names
    from nerve.tensor import _dim

    if dim is None:
        return _wrap(np.asarray(fn(input._data), dtype=np.int64))
    axis = _dim(dim, input.ndim, fn.__name__)
    if input.ndim == 0:
        return _wrap(np.zeros((), np.int64))
    return _wrap(fn(input._data, axis=axis, keepdims=keepdim).astype(np.int64))


def argmax(input, dim=None, keepdim=False):  # noqa: A002
    _no_bool(input, "argmax")
    return _arg(np.argmax, input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):  # noqa: A002
    _no_bool(input, "argmin")
    return _arg(np.argmin, input, dim, keepdim)


def equal(input, other) -> bool:  # noqa: A002
    from nerve.ops.elementwise import need_tensor

    need_tensor("equal", other)
    return input.shape == other.shape and bool((input._data == other._data).all())


def allclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:  # noqa: A002
    from nerve.ops.mathfns import _same_dtype_tensors

    other = _same_dtype_tensors("allclose", input, other)
    return bool(np.allclose(input._data, other._data, rtol, atol, equal_nan))


def any(input, dim=None, keepdim=False):  # noqa: A001, A002
    return _wrap(input._data.any(axis=dim, keepdims=keepdim))


def all(input, dim=None, keepdim=False):  # noqa: A001, A002
    return _wrap(input._data.all(axis=dim, keepdims=keepdim))


def count_nonzero(input, dim=None):  # noqa: A002
    return _wrap(np.count_nonzero(input._data, axis=dim))


def nonzero(input):  # noqa: A002
    return _wrap(np.argwhere(input._data))


def _elementwise(ufunc):
    def op(input):  # noqa: A002
        return _wrap(ufunc(input._data))

    op.__name__ = ufunc.__name__
    op.__doc__ = f"Elementwise ``{ufunc.__name__}``, without gradient."
    return op


logical_not = _elementwise(np.logical_not)
_sign = _elementwise(np.sign)


def sign(input):  # noqa: A002
    """Elementwise ``sign``, without gradient; a bool tensor is its own sign."""
    return _wrap(input._data.copy()) if input._data.dtype == np.bool_ else _sign(input)

isnan = _elementwise(np.isnan)
isinf = _elementwise(np.isinf)
isfinite = _elementwise(np.isfinite)
floor = _elementwise(np.floor)
ceil = _elementwise(np.ceil)
round = _elementwise(np.round)  # noqa: A001
