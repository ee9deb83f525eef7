"""Linear, matmul, convolution, pooling, normalization, dropout and attention as ONNX nodes."""

from __future__ import annotations

import numpy as np

from nerve.onnx.registry import register
from nerve.ops.linalg import matmul as linalg
from nerve.ops.nn import attention as att
from nerve.ops.nn import conv, conv_transpose, dropout, linear, normalization, pool
from nerve.ops.nn import pool_adaptive as apool


def _weight_t(b, w) -> str:
    """Wᵀ: folded into a constant for a weight, a Transpose node for a computed one."""
    if b.is_traced(w):
        return b.one("Transpose", [b.value(w)], perm=[1, 0])
    return b.const(np.ascontiguousarray(w._data.T), "weight_t")


@register(linear.LinearFn)
def _linear(b, inputs, params, out):
    """y = x Wᵀ + b: Gemm (transB=1) for 2-D x, MatMul + Add for (*, in)."""
    x, w, bias = (list(inputs) + [None])[:3]
    if x.ndim == 2 and w.ndim == 2:
        args = [b.value(x), b.value(w)] + ([b.value(bias)] if bias is not None else [])
        return [b.one("Gemm", args, transB=1)]
    y = b.one("MatMul", [b.value(x), _weight_t(b, w)])
    return [b.one("Add", [y, b.value(bias)]) if bias is not None else y]


@register(linalg.MatMul)
def _matmul(b, inputs, params, out):
    return [b.one("MatMul", [b.value(inputs[0]), b.value(inputs[1])])]


def _spatial(x_ndim: int, values):
    """Conv's 1-D input runs as 2-D with H = 1: drop that leading dim again."""
    values = tuple(values)
    return list(values[1:]) if x_ndim == 3 and len(values) == 2 else list(values)


@register(conv.Conv)
def _conv(b, inputs, params, out):
    x, w, bias = (list(inputs) + [None])[:3]
    pads = _spatial(x.ndim, params.get("padding", ((0, 0), (0, 0))))
    attrs = {
        "kernel_shape": list(w.shape[2:]),
        "strides": [int(s) for s in _spatial(x.ndim, params.get("stride", (1, 1)))],
        "dilations": [int(d) for d in _spatial(x.ndim, params.get("dilation", (1, 1)))],
        "pads": [int(p[0]) for p in pads] + [int(p[1]) for p in pads],
        "group": int(params.get("groups", 1)),
    }
    args = [b.value(x), b.value(w)] + ([b.value(bias)] if bias is not None else [])
    return [b.one("Conv", args, **attrs)]


@register(conv_transpose.ConvTranspose)
def _conv_transpose(b, inputs, params, out):
    x, w, bias = (list(inputs) + [None])[:3]
    pads = [int(p) for p in _spatial(x.ndim, params.get("padding", (0, 0)))]
    attrs = {
        "kernel_shape": list(w.shape[2:]),
        "strides": [int(s) for s in _spatial(x.ndim, params.get("stride", (1, 1)))],
        "dilations": [int(d) for d in _spatial(x.ndim, params.get("dilation", (1, 1)))],
        "pads": pads + pads,
        "group": int(params.get("groups", 1)),
        "output_padding": [int(p) for p in _spatial(x.ndim, params.get("output_padding", (0, 0)))],
    }
    args = [b.value(x), b.value(w)] + ([b.value(bias)] if bias is not None else [])
    return [b.one("ConvTranspose", args, **attrs)]


def _pool_attrs(g) -> dict:
    return {
        "kernel_shape": [int(k) for k in g.kernel],
        "strides": [int(s) for s in g.stride],
        "pads": [int(p[0]) for p in g.pad] + [int(p[1]) for p in g.pad],
    }


@register(pool.MaxPool)
def _max_pool(b, inputs, params, out):
    """The geometry's padding already covers ceil_mode's partial windows."""
    g = params["geometry"]
    attrs = _pool_attrs(g)
    if any(d != 1 for d in g.dilation):
        attrs["dilations"] = [int(d) for d in g.dilation]
    n_out = 2 if params.get("return_indices") else 1
    if n_out == 2:
        raise b.fail("max pooling with return_indices")
    return b.node("MaxPool", [b.value(inputs[0])], 1, **attrs)


@register(pool.AvgPool)
def _avg_pool(b, inputs, params, out):
    """y = Σ_window x / divisor: AveragePool over the full window K (the padding
    covers every window), rescaled by K/divisor where PyTorch's divisor differs."""
    g = params["geometry"]
    y = b.one("AveragePool", [b.value(inputs[0])], count_include_pad=1, **_pool_attrs(g))
    k = float(np.prod(g.kernel))
    divisor = np.asarray(params["divisor"], out.dtype)
    if np.all(divisor == k):
        return [y]
    return [b.one("Mul", [y, b.const((k / divisor).astype(out.dtype), "avg_scale")])]


@register(apool.AdaptiveAvgPool)
def _adaptive_avg(b, inputs, params, out):
    """Output size 1 is GlobalAveragePool; sizes dividing the input, a plain AveragePool."""
    x, size = inputs[0], tuple(int(s) for s in params.get("out", (1, 1)))
    if all(s == 1 for s in size):
        return [b.one("GlobalAveragePool", [b.value(x)])]
    spatial = x.shape[2:]
    if any(n % s for n, s in zip(spatial, size)):
        raise b.fail(
            f"adaptive average pooling of {tuple(spatial)} to {size} (the output "
            "size must divide the input size)"
        )
    k = [n // s for n, s in zip(spatial, size)]
    return [b.one("AveragePool", [b.value(x)], kernel_shape=k, strides=k)]


@register(normalization.BatchNorm)
def _batch_norm(b, inputs, params, out):
    x, w, bias = (list(inputs) + [None, None])[:3]
    if params.get("training", True):
        raise b.fail(
            "BatchNorm in training mode (batch statistics); export runs in eval "
            "mode unless the layer has track_running_stats=False"
        )
    c, dt = x.shape[1], out.dtype
    scale = b.value(w) if w is not None else b.const(np.ones(c, dt), "bn_scale")
    shift = b.value(bias) if bias is not None else b.const(np.zeros(c, dt), "bn_bias")
    mean, var = b.value(params["running_mean"]), b.value(params["running_var"])
    return [
        b.one(
            "BatchNormalization",
            [b.value(x), scale, shift, mean, var],
            epsilon=float(params.get("eps", 1e-5)),
        )
    ]


@register(normalization.LayerNorm)
def _layer_norm(b, inputs, params, out):
    x, w, bias = (list(inputs) + [None, None])[:3]
    k, dt = int(params.get("k", 1)), out.dtype
    shape = x.shape[x.ndim - k :]
    scale = b.value(w) if w is not None else b.const(np.ones(shape, dt), "ln_scale")
    args = [b.value(x), scale] + ([b.value(bias)] if bias is not None else [])
    return [b.one("LayerNormalization", args, axis=-k, epsilon=float(params.get("eps", 1e-5)))]


@register(dropout.Dropout)
def _dropout(b, inputs, params, out):
    """Training-mode dropout: this trace's mask (and shift) become constants."""
    y = b.one("Mul", [b.value(inputs[0]), b.const(np.asarray(inputs[1], out.dtype), "mask")])
    if len(inputs) > 2 and inputs[2] is not None:
        y = b.one("Add", [y, b.const(np.asarray(inputs[2], out.dtype), "shift")])
    return [y]


@register(att.ScaledDotProductAttention)
def _sdpa(b, inputs, params, out):
    """O = softmax(scale · Q Kᵀ + M) V (no dropout: export runs in eval mode)."""
    q, k, v = inputs[:3]
    mask = inputs[3] if len(inputs) > 3 else None
    if params.get("drop") is not None:
        raise b.fail("attention dropout in training mode")
    dt = out.dtype
    kt = b.one("Transpose", [b.value(k)], perm=[*range(k.ndim - 2), k.ndim - 1, k.ndim - 2])
    s = b.one("MatMul", [b.value(q), kt])
    s = b.one("Mul", [s, b.const(np.asarray(params.get("scale", 1.0), dt), "scale")])
    if mask is not None:
        s = b.one("Add", [s, b.value(mask)])
    keep = params.get("keep")
    if keep is not None:
        s = b.one(
            "Where",
            [
                b.const(np.asarray(keep, bool), "keep"),
                s,
                b.const(np.asarray(-np.inf, dt), "neg_inf"),
            ],
        )
    return [b.one("MatMul", [b.one("Softmax", [s], axis=-1), b.value(v)])]
