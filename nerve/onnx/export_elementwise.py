"""Elementwise arithmetic, clamp, where, casts and reductions as ONNX nodes."""

from __future__ import annotations

import numpy as np

from nerve.onnx.registry import register
from nerve.ops.math import elementwise as ew
from nerve.ops.math import elementwise_extrema as ex
from nerve.ops.math import transcendental as tr
from nerve.ops.reduce import reductions as rd
from nerve.tensor import Tensor


def operand(b, x, out):
    """A Tensor's name, or a number/array as a constant of the result's dtype."""
    if isinstance(x, Tensor) and (b.is_traced(x) or x._data.dtype == out.dtype):
        return b.value(x)
    data = x._data if isinstance(x, Tensor) else x
    return b.const(np.asarray(data, dtype=out.dtype), "scalar")


_BINARY = {
    ew.Add: "Add",
    ew.Sub: "Sub",
    ew.Mul: "Mul",
    ew.Div: "Div",
    ew.Pow: "Pow",
    ex.Maximum: "Max",
    ex.Minimum: "Min",
}
_UNARY = {
    ew.Neg: "Neg",
    ew.Exp: "Exp",
    ew.Log: "Log",
    ew.Sqrt: "Sqrt",
    ew.Abs: "Abs",
    tr.Sin: "Sin",
    tr.Cos: "Cos",
    ew.Clone: "Identity",
}


@register(*_BINARY)
def _binary(b, inputs, params, out):
    op = _BINARY[_cls(b)]
    return [b.one(op, [operand(b, inputs[0], out), operand(b, inputs[1], out)])]


@register(*_UNARY)
def _unary(b, inputs, params, out):
    return [b.one(_UNARY[_cls(b)], [b.value(inputs[0])])]


def _cls(b):
    """The Function class being exported (one handler serves several)."""
    return b.current


@register(ex.Clamp)
def _clamp(b, inputs, params, out):
    x, lo, hi = (list(inputs) + [None, None])[:3]
    bound = [("" if v is None else operand(b, v, out)) for v in (lo, hi)]
    if any(v is not None and np.ndim(getattr(v, "_data", v)) for v in (lo, hi)):
        y = b.value(x)
        if lo is not None:
            y = b.one("Max", [y, bound[0]])
        if hi is not None:
            y = b.one("Min", [y, bound[1]])
        return [y]
    return [b.one("Clip", [b.value(x), *bound])]


@register(ew.Where)
def _where(b, inputs, params, out):
    cond = b.value(inputs[0])
    return [b.one("Where", [cond, operand(b, inputs[1], out), operand(b, inputs[2], out)])]


_DTYPES = {"float32": 1, "int32": 6, "int64": 7, "bool": 9, "float16": 10, "float64": 11}


@register(ew.Cast)
def _cast(b, inputs, params, out):
    return [b.one("Cast", [b.value(inputs[0])], to=_DTYPES[str(out.dtype)])]


_REDUCE = {
    rd.Sum: "ReduceSum",
    rd.Mean: "ReduceMean",
    rd.Amax: "ReduceMax",
    rd.Amin: "ReduceMin",
    rd.Prod: "ReduceProd",
    rd.LogSumExp: "ReduceLogSumExp",
}


@register(*_REDUCE)
def _reduce(b, inputs, params, out):
    axis = params.get("axis")
    return [b.reduce(_REDUCE[_cls(b)], b.value(inputs[0]), axis, params.get("keepdim", False))]


@register(rd.MaxDim, rd.MinDim)
def _max_dim(b, inputs, params, out):
    x, dim, keep = b.value(inputs[0]), int(params.get("dim", 0)), params.get("keepdim", False)
    op, arg = ("ReduceMax", "ArgMax") if _cls(b) is rd.MaxDim else ("ReduceMin", "ArgMin")
    return [b.reduce(op, x, [dim], keep), b.one(arg, [x], axis=dim, keepdims=int(bool(keep)))]


@register(rd.Var)
def _var(b, inputs, params, out):
    """Var = Σ (x - mean)² / (n - correction), with n from the traced shape."""
    x, axis, keep = b.value(inputs[0]), params.get("axis"), params.get("keepdim", False)
    shape = inputs[0].shape
    axes = list(range(len(shape))) if axis is None else [int(a) for a in np.atleast_1d(axis)]
    n = int(np.prod([shape[a] for a in axes]))
    d = b.one("Sub", [x, b.reduce("ReduceMean", x, axes, True)])
    s = b.reduce("ReduceSum", b.one("Mul", [d, d]), axes, keep)
    denom = np.asarray(max(n - params.get("correction", 1), 0), out.dtype)
    return [b.one("Div", [s, b.const(denom, "count")])]
