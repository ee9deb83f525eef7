"""The table the ONNX importer runs: ``OPS[op_type](inputs, attrs) -> output(s)``, and
the small readers its entries share. import_ops.py, import_shape.py and
import_recurrent.py each fill it with ``@op("Name", ...)``; importer.py loads all three."""

from __future__ import annotations

import numpy as np

from nerve.tensor import Tensor

OPS: dict = {}


def op(*names):
    """Register the decorated function as the runner of the ONNX ops ``names``."""

    def put(fn):
        for n in names:
            OPS[n] = fn
        return fn

    return put


def ints(t) -> list[int]:
    """A shape/axes input (a Tensor or an array) as a list of Python ints."""
    return [int(v) for v in np.asarray(t.numpy() if isinstance(t, Tensor) else t).reshape(-1)]


def const(arr) -> Tensor:
    """An array as a constant Tensor (no gradient)."""
    return Tensor._wrap(np.asarray(arr))


def positive_axis(a: int, ndim: int) -> int:
    """ONNX's negative axis ``a`` counted from the front of an ``ndim``-dimensional input."""
    return a + ndim if a < 0 else a
