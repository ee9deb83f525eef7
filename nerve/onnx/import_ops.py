"""ONNX ops run with nerve's differentiable ops (the elementwise, matrix, activation and
normalization ones), registered in import_registry.OPS.
Inputs that ONNX passes as shape/axes tensors are read as integers (they are constants,
or computed from Shape)."""

from __future__ import annotations

import numpy as np

import nerve.nn.functional as F
from nerve import creation, dtypes
from nerve.onnx.errors import UnsupportedOperatorError
from nerve.onnx.import_registry import OPS, const, op, positive_axis
from nerve.tensor import Tensor


def _unsupported(what: str):
    return UnsupportedOperatorError(f"load_model: {what}")


@op("Identity", "Dropout")
def _identity(x, a):
    return x[0]


def _truncated_div(a, b):
    return (np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))).astype(np.result_type(a, b))


_BINARY = {
    "Add": Tensor.add,
    "Sub": Tensor.sub,
    "Mul": Tensor.mul,
    "Div": Tensor.div,
    "Pow": Tensor.pow,
    "Max": Tensor.maximum,
    "Min": Tensor.minimum,
}
# integer arithmetic (shape computations) on the arrays: ONNX's Div truncates toward 0,
# Mod takes the divisor's sign (fmod=0) as numpy's %
_INTEGER = {
    "Add": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "Div": _truncated_div,
    "Mod": np.mod,
    "Max": np.maximum,
    "Min": np.minimum,
    "Pow": np.power,
}


def _integer(x) -> bool:
    return all(t._data.dtype.kind != "f" for t in x)


def _binary(name: str, fn):
    def run(x, a):
        if _integer(x):
            if name == "Mod" and a.get("fmod", 0):
                return const(np.fmod(x[0].numpy(), x[1].numpy()))
            return const(_INTEGER[name](x[0].numpy(), x[1].numpy()))
        if fn is None:
            raise _unsupported(f"{name} of floating-point tensors")
        return fn(x[0], x[1]) if len(x) == 2 else _fold(fn, x)

    return run


for _name in _INTEGER:
    OPS[_name] = _binary(_name, _BINARY.get(_name))


def _fold(fn, xs):
    y = xs[0]
    for t in xs[1:]:
        y = fn(y, t)
    return y


_UNARY = {
    "Neg": Tensor.neg,
    "Exp": Tensor.exp,
    "Log": Tensor.log,
    "Sqrt": Tensor.sqrt,
    "Abs": Tensor.abs,
    "Sin": Tensor.sin,
    "Cos": Tensor.cos,
    "Erf": Tensor.erf,
    "Relu": F.relu,
    "Sigmoid": F.sigmoid,
    "Tanh": F.tanh,
    "Softplus": F.softplus,
}
for _name, _fn in _UNARY.items():
    OPS[_name] = (lambda fn: lambda x, a: fn(x[0]))(_fn)


# comparisons carry no gradient: computed on the arrays
for _name, _fn in {"Greater": np.greater, "Less": np.less, "Equal": np.equal}.items():
    OPS[_name] = (lambda fn: lambda x, a: const(fn(x[0].numpy(), x[1].numpy())))(_fn)


@op("Where")
def _where(x, a):
    cond = x[0].to(dtypes.bool) if x[0].dtype != dtypes.bool else x[0]
    return x[1].where(cond, x[2])  # nerve.where(cond, x[1], x[2])


@op("Cast")
def _cast(x, a):
    onnx_types = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 11: np.float64}
    to = onnx_types.get(a["to"])
    if to is None:
        raise _unsupported(f"Cast to ONNX type {a['to']}")
    if np.dtype(to).kind == "f" and x[0]._data.dtype.kind == "f":
        return x[0].to(getattr(dtypes, np.dtype(to).name))
    return const(x[0].numpy().astype(to))


@op("LeakyRelu")
def _leaky(x, a):
    return F.leaky_relu(x[0], a.get("alpha", 0.01))


@op("Elu")
def _elu(x, a):
    return F.elu(x[0], a.get("alpha", 1.0))


@op("PRelu")
def _prelu(x, a):
    z = creation.zeros((), dtype=x[0].dtype)
    return Tensor.maximum(x[0], z) + x[1] * Tensor.minimum(x[0], z)


@op("Softmax", "LogSoftmax")
def _softmax(x, a):
    return F.softmax(x[0], a.get("axis", -1))


OPS["LogSoftmax"] = lambda x, a: F.log_softmax(x[0], a.get("axis", -1))


@op("Clip")
def _clip(x, a):
    y = x[0]
    lo = x[1] if len(x) > 1 and x[1] is not None else a.get("min")
    hi = x[2] if len(x) > 2 and x[2] is not None else a.get("max")
    for bound, fn in ((lo, Tensor.maximum), (hi, Tensor.minimum)):
        if isinstance(bound, Tensor) and bound.numel() != 1:
            y = fn(y, bound)
    scalar = [
        None
        if v is None or (isinstance(v, Tensor) and v.numel() != 1)
        else float(np.asarray(v.numpy() if isinstance(v, Tensor) else v).reshape(-1)[0])
        for v in (lo, hi)
    ]
    return Tensor.clamp(y, *scalar) if scalar != [None, None] else y


@op("Gemm")
def _gemm(x, a):
    """Y = α A' B' + β C with A' = Aᵀ if transA, B' = Bᵀ if transB."""
    a_, b_ = x[0], x[1]
    c_ = x[2] if len(x) > 2 else None
    if a.get("transA", 0):
        a_ = a_.t()
    alpha, beta = a.get("alpha", 1.0), a.get("beta", 1.0)
    if a.get("transB", 0) and alpha == 1.0 and beta == 1.0:
        return F.linear(a_, b_, c_)
    y = Tensor.matmul(a_, b_.t() if a.get("transB", 0) else b_)
    y = y if alpha == 1.0 else y * alpha
    return y if c_ is None else y + (c_ if beta == 1.0 else c_ * beta)


@op("MatMul")
def _matmul(x, a):
    return Tensor.matmul(x[0], x[1])


def _pads(a, sp: int) -> tuple:
    pads = a.get("pads", [0] * (2 * sp))
    if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise _unsupported(f"auto_pad={a['auto_pad']}")
    return list(pads[:sp]), list(pads[sp:])


def _padded(x, before, after, value=0.0):
    """Asymmetric padding as an explicit pad; symmetric padding is the op's own."""
    if before == after:
        return x, tuple(before)
    widths = []
    for b, e in zip(reversed(before), reversed(after)):
        widths += [b, e]
    return F.pad(x, tuple(widths), value=value), (0,) * len(before)


@op("Conv")
def _conv(x, a):
    w = x[1]
    sp = w.ndim - 2
    before, after = _pads(a, sp)
    inp, pad = _padded(x[0], before, after)
    fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[sp]
    return fn(
        inp,
        w,
        x[2] if len(x) > 2 else None,
        tuple(a.get("strides", [1] * sp)),
        pad,
        tuple(a.get("dilations", [1] * sp)),
        a.get("group", 1),
    )


@op("ConvTranspose")
def _conv_transpose(x, a):
    w = x[1]
    sp = w.ndim - 2
    before, after = _pads(a, sp)
    if before != after or "output_shape" in a:
        raise _unsupported("ConvTranspose with asymmetric pads or output_shape")
    fn = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[sp]
    return fn(
        x[0],
        w,
        x[2] if len(x) > 2 else None,
        tuple(a.get("strides", [1] * sp)),
        tuple(before),
        tuple(a.get("output_padding", [0] * sp)),
        a.get("group", 1),
        tuple(a.get("dilations", [1] * sp)),
    )


@op("MaxPool")
def _max_pool(x, a):
    k = a["kernel_shape"]
    sp = len(k)
    before, after = _pads(a, sp)
    inp, pad = _padded(x[0], before, after, value=-np.inf)
    fn = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[sp]
    return fn(
        inp,
        tuple(k),
        tuple(a.get("strides", [1] * sp)),
        pad,
        tuple(a.get("dilations", [1] * sp)),
        bool(a.get("ceil_mode", 0)),
    )


@op("AveragePool")
def _avg_pool(x, a):
    k = a["kernel_shape"]
    sp = len(k)
    before, after = _pads(a, sp)
    include = bool(a.get("count_include_pad", 0))
    if before != after and not include:
        raise _unsupported("AveragePool with asymmetric pads and count_include_pad=0")
    inp, pad = _padded(x[0], before, after)
    fn = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[sp]
    return fn(
        inp, tuple(k), tuple(a.get("strides", [1] * sp)), pad, bool(a.get("ceil_mode", 0)), include
    )


@op("GlobalAveragePool")
def _global_avg(x, a):
    return x[0].mean(dim=tuple(range(2, x[0].ndim)), keepdim=True)


@op("BatchNormalization")
def _batch_norm(x, a):
    return F.batch_norm(
        x[0], x[3].detach(), x[4].detach(), x[1], x[2], False, eps=a.get("epsilon", 1e-5)
    )


@op("LayerNormalization")
def _layer_norm(x, a):
    axis = positive_axis(a.get("axis", -1), x[0].ndim)
    return F.layer_norm(
        x[0], tuple(x[0].shape[axis:]), x[1], x[2] if len(x) > 2 else None, a.get("epsilon", 1e-5)
    )
