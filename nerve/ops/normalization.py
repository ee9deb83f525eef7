"""Batch and layer normalization, each one node with a fused backward."""

from __future__ import annotations

import numpy as np

from nerve.autograd.function import Function


class BatchNorm(Function):
    """Batch normalization over every axis but the channel axis 1 (so (N, C), (N, C, L) and
    (N, C, H, W) share it):  x̂ = (x - μ) / √(σ² + ε),  y = γ x̂ + β.

    Training uses the batch's μ and biased σ² (m values per channel) and updates the
    running statistics in place, the variance unbiased (× m/(m-1)), as PyTorch does;
    evaluation uses the running statistics. With δ = ∂L/∂y and g = γ δ:
    ∂L/∂γ = Σ δ x̂,  ∂L/∂β = Σ δ,
    ∂L/∂x = (1/(m √(σ² + ε))) (m g - Σ g - x̂ Σ g x̂)   (training; μ, σ² depend on x)
    ∂L/∂x = g / √(σ² + ε)                               (evaluation)
    """

    def forward(self, x, w=None, b=None, running_mean=None, running_var=None, training=True,
                momentum=0.1, eps=1e-5):
        self.axes = (0,) + tuple(range(2, x.ndim))
        # (C,) -> (1, C, 1, ..., 1): per-channel values broadcast over the rest
        self.shape = (1, -1) + (1,) * (x.ndim - 2)
        self.training = training
        if training:
            mean = x.mean(axis=self.axes)
            xc = x - mean.reshape(self.shape)
            var = (xc * xc).mean(axis=self.axes)
            m = x.size // x.shape[1]
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += (momentum * m / (m - 1)) * var
        else:
            mean, var = running_mean, running_var
            xc = x - mean.reshape(self.shape)
        self.inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype).reshape(self.shape)
        self.xhat = xc * self.inv_std
        self.w = None if w is None else w.reshape(self.shape)
        y = self.xhat if w is None else self.xhat * self.w
        return y if b is None else y + b.reshape(self.shape)

    def backward(self, dy):
        axes, xhat = self.axes, self.xhat
        need = (*self.needs_input_grad, False, False)
        g = dy if self.w is None else dy * self.w
        dx = None
        if need[0] and self.training:
            m = dy.size // dy.shape[1]
            sum_g = g.sum(axis=axes, keepdims=True)
            sum_gx = (g * xhat).sum(axis=axes, keepdims=True)
            dx = (self.inv_std / m) * (m * g - sum_g - xhat * sum_gx)
        elif need[0]:
            dx = g * self.inv_std
        dw = (dy * xhat).sum(axis=axes) if need[1] else None
        db = dy.sum(axis=axes) if need[2] else None
        return dx, dw, db


class LayerNorm(Function):
    """Layer normalization over the last k axes (n values):  x̂ = (x - μ) / √(σ² + ε),
    y = γ x̂ + β, γ and β of the normalized shape. With δ = ∂L/∂y and g = γ δ:
    ∂L/∂γ = Σ_batch δ x̂,  ∂L/∂β = Σ_batch δ,
    ∂L/∂x = (1/(n √(σ² + ε))) (n g - Σ g - x̂ Σ g x̂), the sums over the normalized axes
    """

    def forward(self, x, w=None, b=None, k=1, eps=1e-5):
        self.axes = tuple(range(x.ndim - k, x.ndim))
        self.lead = tuple(range(x.ndim - k))
        mean = x.mean(axis=self.axes, keepdims=True)
        xc = x - mean
        var = (xc * xc).mean(axis=self.axes, keepdims=True)
        self.inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype)
        self.xhat = xc * self.inv_std
        self.w = w
        y = self.xhat if w is None else self.xhat * w
        return y if b is None else y + b

    def backward(self, dy):
        xhat, axes = self.xhat, self.axes
        need = (*self.needs_input_grad, False, False)
        dx = dw = db = None
        if need[0]:
            g = dy if self.w is None else dy * self.w
            n = xhat.size // max(int(np.prod([xhat.shape[a] for a in self.lead])), 1)
            sum_g = g.sum(axis=axes, keepdims=True)
            sum_gx = (g * xhat).sum(axis=axes, keepdims=True)
            dx = (self.inv_std / n) * (n * g - sum_g - xhat * sum_gx)
        if need[1]:
            dw = (dy * xhat).sum(axis=self.lead)
        if need[2]:
            db = dy.sum(axis=self.lead)
        return dx, dw, db


def batch_norm(input, running_mean, running_var, weight=None, bias=None,  # noqa: A002
               training=False, momentum=0.1, eps=1e-5):
    """Normalize per channel (axis 1); see ``BatchNorm``. ``running_mean``/``running_var``
    (Tensors or None) are updated in place when training."""
    c = input.shape[1] if input.ndim >= 2 else None
    if c is None:
        raise ValueError(f"batch_norm: expected input with at least 2 dimensions (N, C, ...), "
                         f"got shape {tuple(input.shape)}")
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"batch_norm: {name} should contain {c} elements (the channels "
                               f"of input shape {tuple(input.shape)}), not {t.numel()}")
    if training and input.numel() // c <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {list(input.shape)}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("batch_norm: running_mean and running_var must be given when not "
                           "training")
    rm = None if running_mean is None else running_mean._data
    rv = None if running_var is None else running_var._data
    return BatchNorm.apply(input, weight, bias, running_mean=rm, running_var=rv,
                           training=training, momentum=momentum, eps=eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalize over the trailing ``normalized_shape`` axes; see ``LayerNorm``."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise RuntimeError(f"layer_norm: Given normalized_shape={list(shape)}, expected input "
                           f"with shape [*, {', '.join(map(str, shape))}], but got input of "
                           f"size {list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"layer_norm: {name} of shape {tuple(t.shape)} does not match "
                               f"normalized_shape {shape}")
    return LayerNorm.apply(input, weight, bias, k=k, eps=eps)
