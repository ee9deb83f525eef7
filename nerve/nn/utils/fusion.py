"""Folding an eval-mode batch norm into the convolution or linear layer before it, as
``torch.nn.utils.fusion``. With s = γ / √(σ² + ε) per output channel,

    BN(conv(x; W, b)) = conv(x; W · s, (b − μ) · s + β)

so inference runs one layer instead of two. Only valid with the running statistics, hence
eval mode only."""

from __future__ import annotations

import copy

import numpy as np

from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.tensor import Tensor

__all__ = [
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
]


def _arr(t) -> np.ndarray | None:
    return None if t is None else (t.detach()._data if isinstance(t, Tensor) else np.asarray(t))


def _bn_scale(bn_rm, bn_rv, bn_eps, bn_w):
    rm, rv = _arr(bn_rm), _arr(bn_rv)
    w = np.ones_like(rm) if bn_w is None else _arr(bn_w)
    return rm, w / np.sqrt(rv + bn_eps)


def _requires_grad(t) -> bool:
    """As torch: a missing bias becomes a zero tensor that requires no grad."""
    return t is not None and bool(getattr(t, "requires_grad", True))


def fuse_conv_bn_weights(
    conv_w: Tensor,
    conv_b: Tensor | None,
    bn_rm: Tensor,
    bn_rv: Tensor,
    bn_eps: float,
    bn_w: Tensor | None,
    bn_b: Tensor | None,
    transpose: bool = False,
) -> tuple[Parameter, Parameter]:
    """(W · s, (b − μ) · s + β), s broadcast over the output-channel axis of the weight
    (axis 1 for a transposed convolution)."""
    w = _arr(conv_w)
    rm, scale = _bn_scale(bn_rm, bn_rv, bn_eps, bn_w)
    b = np.zeros_like(rm) if conv_b is None else _arr(conv_b)
    beta = np.zeros_like(rm) if bn_b is None else _arr(bn_b)
    shape = [1] * w.ndim
    shape[1 if transpose else 0] = -1
    fused_w = (w * scale.reshape(shape)).astype(w.dtype)
    fused_b = ((b - rm) * scale + beta).astype(w.dtype if conv_b is None else b.dtype)
    return (Parameter(fused_w, _requires_grad(conv_w)), Parameter(fused_b, _requires_grad(conv_b)))


def fuse_conv_bn_eval(conv: Module, bn: Module, transpose: bool = False) -> Module:
    """A copy of ``conv`` computing conv → bn (both in eval mode) in one layer."""
    assert not (conv.training or bn.training), "Fusion only for eval!"
    assert bn.running_mean is not None and bn.running_var is not None
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight,
        fused.bias,
        bn.running_mean,
        bn.running_var,
        bn.eps,
        bn.weight,
        bn.bias,
        transpose,
    )
    return fused


def fuse_linear_bn_weights(
    linear_w: Tensor,
    linear_b: Tensor | None,
    bn_rm: Tensor,
    bn_rv: Tensor,
    bn_eps: float,
    bn_w: Tensor,
    bn_b: Tensor,
) -> tuple[Parameter, Parameter]:
    """(W · s (per output row), (b − μ) · s + β)."""
    w = _arr(linear_w)
    rm, scale = _bn_scale(bn_rm, bn_rv, bn_eps, bn_w)
    b = np.zeros_like(rm) if linear_b is None else _arr(linear_b)
    beta = np.zeros_like(rm) if bn_b is None else _arr(bn_b)
    fused_w = (w * scale[:, None]).astype(w.dtype)
    fused_b = ((b - rm) * scale + beta).astype(w.dtype if linear_b is None else b.dtype)
    return (
        Parameter(fused_w, _requires_grad(linear_w)),
        Parameter(fused_b, _requires_grad(linear_b)),
    )


def fuse_linear_bn_eval(linear: Module, bn: Module) -> Module:
    """A copy of ``linear`` computing linear → bn (both in eval mode) in one layer."""
    assert not (linear.training or bn.training), "Fusion only for eval!"
    assert linear.out_features == bn.num_features or bn.num_features == 1, (
        "To fuse, linear.out_features == bn.num_features or bn.num_features == 1"
    )
    assert bn.running_mean is not None and bn.running_var is not None
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
    )
    return fused
