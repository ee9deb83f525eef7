"""Root-mean-square layer normalization, one node with a fused backward."""

from __future__ import annotations

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.dtypes_info import finfo
from nerve.ops.reduce.reductions import Mean, Sum

__all__ = ["rms_norm"]

# ruff: noqa: A002 - PyTorch's argument names (input)


class RMSNorm(Function):
    """RMS normalization over the last k axes (n values), no centring:
    r = 1/√(mean(x²) + ε),  x̂ = x r,  y = γ x̂ (γ of the normalized shape, optional).
    With δ = ∂L/∂y and g = γ δ, the sums over the normalized axes:
    ∂L/∂γ = Σ_batch δ x̂,
    ∂L/∂x = r (g - x̂ · (1/n) Σ g x̂)
    """

    def forward(self, x, w=None, k=1, eps=1e-6):
        self.axes = tuple(range(x.ndim - k, x.ndim))
        self.lead = tuple(range(x.ndim - k))
        self.eps = eps
        ms = (x * x).mean(axis=self.axes, keepdims=True)
        self.r = (1 / array_module(ms).sqrt(ms + eps)).astype(x.dtype)
        self.xhat = x * self.r
        self.w = w
        return self.xhat if w is None else self.xhat * w

    def backward_graph(self, dy):
        """The same rule with r and x̂ recomputed from x by nerve ops."""
        x, w = (*self.parents, None)[:2]
        need = (*self.needs_input_grad, False)
        r = (Mean.apply(x * x, axis=self.axes, keepdim=True) + self.eps) ** -0.5
        xhat = x * r
        dx = dw = None
        if need[0]:
            g = dy if w is None else dy * w
            dx = r * (g - xhat * Mean.apply(g * xhat, axis=self.axes, keepdim=True))
        if need[1]:
            dw = Sum.apply(dy * xhat, axis=self.lead)
        return dx, dw

    def backward(self, dy):
        xhat, need = self.xhat, (*self.needs_input_grad, False)
        dx = dw = None
        if need[0]:
            g = dy if self.w is None else dy * self.w
            mean_gx = (g * xhat).mean(axis=self.axes, keepdims=True)
            dx = self.r * (g - xhat * mean_gx)
        if need[1]:
            dw = (dy * xhat).sum(axis=self.lead)
        return dx, dw


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Divide by the root mean square over the trailing ``normalized_shape`` axes, then scale
    by ``weight``; ``eps`` defaults to the machine epsilon of the input's dtype. See
    ``RMSNorm``."""
    if isinstance(normalized_shape, int):
        raise TypeError(
            f"rms_norm(): argument 'normalized_shape' (position 2) must be tuple of "
            f"ints, not int ({normalized_shape})"
        )
    shape = tuple(normalized_shape)
    k = len(shape)
    if k == 0:
        raise RuntimeError(
            "rms_norm: Expected normalized_shape to be at least 1-dimensional, "
            "i.e., containing at least one element, but got normalized_shape "
            "= []"
        )
    if input.ndim < k:
        raise ValueError(
            f"rms_norm: Input tensor must have at least {k} dimensions for "
            f"normalized_shape={list(shape)}, but got {input.ndim}"
        )
    if tuple(input.shape[input.ndim - k :]) != shape:
        raise RuntimeError(
            f"rms_norm: Given normalized_shape={list(shape)}, expected input "
            f"with shape [*, {', '.join(map(str, shape))}], but got input of "
            f"size {list(input.shape)}"
        )
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(
            f"rms_norm: Expected weight to be of same shape as "
            f"normalized_shape, but got weight of shape {list(weight.shape)} "
            f"and normalized_shape = {list(shape)}"
        )
    if eps is None:
        eps = float(finfo(input.dtype).eps)
    return RMSNorm.apply(input, weight, k=k, eps=eps)
