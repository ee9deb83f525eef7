"""The lectures' activations, softmax and log-softmax as ONNX nodes."""

from __future__ import annotations

import math

import numpy as np

from nerve.onnx.registry import register
from nerve.ops.nn import activation as act

_PLAIN = {act.Tanh: "Tanh", act.Sigmoid: "Sigmoid", act.ReLU: "Relu"}


@register(*_PLAIN)
def _plain(b, inputs, params, out):
    return [b.one(_PLAIN[b.current], [b.value(inputs[0])])]


@register(act.Softmax, act.LogSoftmax)
def _softmax(b, inputs, params, out):
    op = "Softmax" if b.current is act.Softmax else "LogSoftmax"
    return [b.one(op, [b.value(inputs[0])], axis=int(params.get("dim", -1)))]


@register(act.LeakyReLU)
def _leaky(b, inputs, params, out):
    return [
        b.one("LeakyRelu", [b.value(inputs[0])], alpha=float(params.get("negative_slope", 0.01)))
    ]


@register(act.PReLU)
def _prelu(b, inputs, params, out):
    """ONNX PRelu broadcasts the slope from the right: (C,) becomes (C, 1, ..., 1)."""
    x, w = inputs[0], inputs[1]
    slope = b.value(w)
    if w.ndim == 1 and w.shape[0] > 1 and x.ndim > 2:
        slope = b.one("Reshape", [slope, b.ints([-1] + [1] * (x.ndim - 2))])
    return [b.one("PRelu", [b.value(x), slope])]


@register(act.RReLU)
def _rrelu(b, inputs, params, out):
    """Training-mode RReLU multiplies by the sampled slopes: a constant of this trace."""
    x, noise = b.value(inputs[0]), b.const(np.asarray(inputs[1], out.dtype), "rrelu_noise")
    return [b.one("Mul", [x, noise])]


@register(act.CReLU)
def _crelu(b, inputs, params, out):
    """CReLU(x) = [ReLU(x), ReLU(-x)] concatenated along dim."""
    x = b.value(inputs[0])
    pos, neg = b.one("Relu", [x]), b.one("Relu", [b.one("Neg", [x])])
    return [b.one("Concat", [pos, neg], axis=int(params.get("dim", 1)))]


@register(act.ELU)
def _elu(b, inputs, params, out):
    return [b.one("Elu", [b.value(inputs[0])], alpha=float(params.get("alpha", 1.0)))]


@register(act.Hardtanh)
def _hardtanh(b, inputs, params, out):
    lo, hi = (
        b.const(np.asarray(params.get(k, d), out.dtype), k)
        for k, d in (("min_val", -1.0), ("max_val", 1.0))
    )
    return [b.one("Clip", [b.value(inputs[0]), lo, hi])]


@register(act.SiLU)
def _silu(b, inputs, params, out):
    x = b.value(inputs[0])
    return [b.one("Mul", [x, b.one("Sigmoid", [x])])]


@register(act.GELU)
def _gelu(b, inputs, params, out):
    """GELU(x) = x Φ(x) = ½ x (1 + erf(x/√2)) (tanh form for approximate='tanh')."""
    x, dt = b.value(inputs[0]), out.dtype
    c = lambda v: b.const(np.asarray(v, dt), "c")  # noqa: E731
    if params.get("approximate", "none") == "tanh":
        cube = b.one("Mul", [b.one("Mul", [x, x]), x])
        inner = b.one(
            "Mul", [c(math.sqrt(2 / math.pi)), b.one("Add", [x, b.one("Mul", [cube, c(0.044715)])])]
        )
        t = b.one("Tanh", [inner])
    else:
        t = b.one("Erf", [b.one("Mul", [x, c(1 / math.sqrt(2))])])
    return [b.one("Mul", [b.one("Mul", [x, c(0.5)]), b.one("Add", [t, c(1.0)])])]


@register(act.Softplus)
def _softplus(b, inputs, params, out):
    """softplus(x) = log(1 + e^{βx})/β, linear above the threshold."""
    beta, thr = float(params.get("beta", 1.0)), float(params.get("threshold", 20.0))
    x, dt = b.value(inputs[0]), out.dtype
    bx = b.one("Mul", [x, b.const(np.asarray(beta, dt), "beta")])
    soft = b.one("Div", [b.one("Softplus", [bx]), b.const(np.asarray(beta, dt), "beta")])
    linear = b.one("Greater", [bx, b.const(np.asarray(thr, dt), "threshold")])
    return [b.one("Where", [linear, x, soft])]


@register(act.LogSigmoid)
def _logsigmoid(b, inputs, params, out):
    return [b.one("Neg", [b.one("Softplus", [b.one("Neg", [b.value(inputs[0])])])])]
