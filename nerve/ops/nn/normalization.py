"""Batch and layer normalization, each one node with a fused backward."""

from __future__ import annotations

import math

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.backend.parallel import over_batch
from nerve.ops.reduce.reductions import Mean, Sum

__all__ = ["batch_norm", "layer_norm"]


class BatchNorm(Function):
    """Batch normalization over every axis but the channel axis 1 (so (N, C), (N, C, L) and
    (N, C, H, W) share it):  x̂ = (x - μ) / √(σ² + ε),  y = γ x̂ + β.

    Training uses the batch's μ and biased σ² (m values per channel) and updates the
    running statistics in place, the variance unbiased (× m/(m-1)), as PyTorch does;
    evaluation uses the running statistics. With δ = ∂L/∂y and s = 1/√(σ² + ε):
    ∂L/∂γ = Σ δ x̂,  ∂L/∂β = Σ δ,
    ∂L/∂x = γ s δ - (γ s/m) Σ δ - (γ s/m) x̂ Σ δ x̂   (training; μ, σ² depend on x)
    ∂L/∂x = γ s δ                                  (evaluation)
    Both are a δ + b (x - μ) + c with per-channel a, b, c: one pass over the batch.

    The work runs on a (rows, C, cols) view of x that costs no copy in the usual layouts:
    a conv's channels-last output is (N·H·W, C, 1), a contiguous one (N, C, H·W).
    """

    def forward(
        self,
        x,
        w=None,
        b=None,
        running_mean=None,
        running_var=None,
        training=True,
        momentum=0.1,
        eps=1e-5,
    ):
        x3, self.layout = _channel_view(x)
        m = x3.shape[0] * x3.shape[2]
        self.training, self.m, self.x_shape, self.w = training, m, x.shape, w
        self.eps, xp = eps, array_module(x)
        self.xc = xc = xp.empty_like(x3)
        if training:
            mean = _sums(lambda lo, hi: _channel_sum(x3[lo:hi]), x3) / m

            def centre(lo, hi):
                part = xp.subtract(x3[lo:hi], mean[:, None], out=xc[lo:hi])
                return _channel_sum(part, part)

            var = _sums(centre, x3) / m
            _update_running(running_mean, running_var, mean, var, momentum, m)
        else:
            mean, var = running_mean, running_var
            xp.subtract(x3, mean.astype(x.dtype, copy=False)[:, None], out=xc)
        self.inv_std = (1 / xp.sqrt(var + eps)).astype(x.dtype)
        scale = (self.inv_std if w is None else self.inv_std * w)[:, None]
        y = xp.empty_like(xc)

        def affine(lo, hi):
            xp.multiply(xc[lo:hi], scale, out=y[lo:hi])
            if b is not None:
                y[lo:hi] += b[:, None]

        over_batch(affine, len(y), y.nbytes, like=y)
        return _from_channel_view(y, self.layout, x.shape)

    def backward(self, dy):
        need = (*self.needs_input_grad, False, False)
        dy3, _ = _channel_view(dy, self.layout)
        s, xc, m, xp = self.inv_std, self.xc, self.m, array_module(dy)
        # Σ δ and Σ δ (x - μ) per channel, in one pass
        sum_dy, sum_dyxc = _sums(
            lambda lo, hi: xp.stack(
                [_channel_sum(dy3[lo:hi]), _channel_sum(dy3[lo:hi], xc[lo:hi])]
            ),
            dy3,
        )
        dx = None
        if need[0]:
            a = s if self.w is None else s * self.w
            k_xc = a * s * s * sum_dyxc / m if self.training else 0 * a
            k_1 = a * sum_dy / m if self.training else 0 * a
            dx = xp.empty_like(dy3)

            def grad(lo, hi):  # a δ - k_xc (x - μ) - k_1
                out = xp.multiply(dy3[lo:hi], a[:, None], out=dx[lo:hi])
                out -= xc[lo:hi] * k_xc[:, None] + k_1[:, None]

            over_batch(grad, len(dx), dx.nbytes, like=dx)
            dx = _from_channel_view(dx, self.layout, self.x_shape)
        dw = s * sum_dyxc if need[1] else None
        return dx, dw, (sum_dy if need[2] else None)

    def backward_graph(self, dy):
        """The same rule with x̂ recomputed from x by nerve ops (training: μ and σ² of the
        batch, so they depend on x; evaluation: the running statistics, constants)."""
        x, w = self.parents[:2]
        need = (*self.needs_input_grad, False, False)
        axes = (0, *range(2, x.ndim))
        cshape = (1, -1) + (1,) * (x.ndim - 2)
        if self.training:
            xc = x - Mean.apply(x, axis=axes, keepdim=True)
            inv_std = (Mean.apply(xc * xc, axis=axes, keepdim=True) + self.eps) ** -0.5
        else:
            x3 = _channel_view(x._data, self.layout)[0]
            xc = x - (x3 - self.xc)[0, :, 0].reshape(cshape)
            inv_std = self.inv_std.reshape(cshape)
        xhat = xc * inv_std
        dx = dw = db = None
        if need[0]:
            a = inv_std if w is None else inv_std * w.reshape(cshape)
            if self.training:
                m = self.m
                sum_dy = Sum.apply(dy, axis=axes, keepdim=True)
                sum_dyx = Sum.apply(dy * xhat, axis=axes, keepdim=True)
                dx = a * (dy * m - sum_dy - xhat * sum_dyx) / m
            else:
                dx = dy * a
        if need[1]:
            dw = Sum.apply(dy * xhat, axis=axes)
        if need[2]:
            db = Sum.apply(dy, axis=axes)
        return dx, dw, db


def _sums(part, a3):
    """Σ of part(lo, hi) over chunks of rows of a3, the chunks run on all cores; summed in
    chunk order, so the result does not depend on thread timing."""
    parts = {}

    def run(lo, hi):
        parts[lo] = part(lo, hi)

    over_batch(run, len(a3), a3.nbytes, like=a3)
    return sum(parts[k] for k in sorted(parts))


def _update_running(running_mean, running_var, mean, var, momentum, m):
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mean
    if running_var is not None:
        running_var *= 1 - momentum
        running_var += (momentum * m / (m - 1)) * var


def _channel_view(x, layout=None):
    """(N, C, *S) -> (rows, C, cols) and the layout tag: "last" when the channels are
    innermost in memory ((N·∏S, C, 1), a view), else "first" ((N, C, ∏S), a view when
    contiguous). Given a ``layout``, x is brought to it (a gradient may come in another)."""
    n, c = x.shape[0], x.shape[1]
    moved = array_module(x).moveaxis(x, 1, -1)
    if layout == "last" or (layout is None and x.ndim > 2 and moved.flags.c_contiguous):
        return moved.reshape(-1, c)[:, :, None], "last"
    return x.reshape(n, c, -1), "first"


def _from_channel_view(y3, layout, shape):
    """The inverse of ``_channel_view``: the (N, C, *S) array (a view of y3)."""
    if layout == "last":
        n, c, *rest = shape
        return array_module(y3).moveaxis(y3.reshape((n, *rest, c)), -1, 1)
    return y3.reshape(shape)


def _channel_sum(a3, b3=None):
    """Σ a (or Σ a·b) over rows and cols of (rows, C, cols), per channel. einsum sums the
    products without a temporary and runs about twice as fast as ndarray.sum here."""
    xp = array_module(a3)
    if a3.shape[2] == 1:  # (rows, C): drop the unit axis, einsum's inner loop runs along C
        a2 = a3[:, :, 0]
        return xp.einsum("rc->c", a2) if b3 is None else xp.einsum("rc,rc->c", a2, b3[:, :, 0])
    return xp.einsum("rcl->c", a3) if b3 is None else xp.einsum("rcl,rcl->c", a3, b3)


class LayerNorm(Function):
    """Layer normalization over the last k axes (n values):  x̂ = (x - μ) / √(σ² + ε),
    y = γ x̂ + β, γ and β of the normalized shape. With δ = ∂L/∂y and g = γ δ:
    ∂L/∂γ = Σ_batch δ x̂,  ∂L/∂β = Σ_batch δ,
    ∂L/∂x = (1/(n √(σ² + ε))) (n g - Σ g - x̂ Σ g x̂), the sums over the normalized axes
    """

    def forward(self, x, w=None, b=None, k=1, eps=1e-5):
        self.axes = tuple(range(x.ndim - k, x.ndim))
        self.lead = tuple(range(x.ndim - k))
        self.shape, self.w, self.eps = x.shape, w, eps
        n, xp = math.prod(x.shape[x.ndim - k :]), array_module(x)
        x2 = x.reshape(-1, n)  # (*, normalized) -> (rows, n): row sums along contiguous memory
        xc = x2 - x2.mean(axis=1, keepdims=True)
        var = xp.einsum("rn,rn->r", xc, xc)[:, None] / n  # Σ (x - μ)² without a temporary
        self.inv_std = inv_std = (1 / xp.sqrt(var + eps)).astype(x.dtype)
        xc *= inv_std
        self.xhat = xhat = xc
        if w is None:
            y = xhat if b is None else xhat + b.reshape(-1)
        else:
            y = xhat * w.reshape(-1)
            if b is not None:
                y += b.reshape(-1)
        return y.reshape(x.shape)

    def backward(self, dy):
        xhat = self.xhat
        rows, n = xhat.shape
        need, xp = (*self.needs_input_grad, False, False), array_module(dy)
        dy2 = dy.reshape(rows, n)
        dx = dw = db = None
        if need[0]:
            g = dy2 if self.w is None else dy2 * self.w.reshape(-1)
            sum_g = g.sum(axis=1, keepdims=True)
            sum_gx = xp.einsum("rn,rn->r", g, xhat)[:, None]
            dx = xhat * -sum_gx  # (1/(n √(σ²+ε))) (n g - Σ g - x̂ Σ g x̂), in place
            dx -= sum_g
            dx += n * g
            dx *= self.inv_std / n
            dx = dx.reshape(self.shape)
        if need[1]:
            dw = xp.einsum("rn,rn->n", dy2, xhat).reshape(self.w.shape)
        if need[2]:
            db = dy2.sum(axis=0).reshape(
                self.w.shape if self.w is not None else self.shape[len(self.lead) :]
            )
        return dx, dw, db

    def backward_graph(self, dy):
        """The same rule on x̂ and 1/√(σ² + ε) recomputed from x with nerve ops."""
        x, w = self.parents[:2]
        axes, lead = self.axes, self.lead
        need = (*self.needs_input_grad, False, False)
        xc = x - Mean.apply(x, axis=axes, keepdim=True)
        inv_std = (Mean.apply(xc * xc, axis=axes, keepdim=True) + self.eps) ** -0.5
        xhat = xc * inv_std
        dx = dw = db = None
        if need[0]:
            g = dy if w is None else dy * w
            n = math.prod(x.shape[a] for a in axes)
            sum_g = Sum.apply(g, axis=axes, keepdim=True)
            sum_gx = Sum.apply(g * xhat, axis=axes, keepdim=True)
            dx = inv_std * (g * n - sum_g - xhat * sum_gx) / n
        if need[1]:
            dw = Sum.apply(dy * xhat, axis=lead)
        if need[2]:
            db = Sum.apply(dy, axis=lead)
        return dx, dw, db


def layer_norm_reference(x, w=None, b=None, k=1, eps=1e-5):
    """y = γ (x - μ) / √(σ² + ε) + β over the last k axes, as written: what the in-place
    forward must equal."""
    axes = tuple(range(x.ndim - k, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mu) / array_module(x).sqrt(var + eps)
    y = y if w is None else y * w
    return y if b is None else y + b


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
):
    """Normalize per channel (axis 1); see ``BatchNorm``. ``running_mean``/``running_var``
    (Tensors or None) are updated in place when training."""
    c = input.shape[1] if input.ndim >= 2 else None
    if c is None:
        raise ValueError(
            f"batch_norm: expected input with at least 2 dimensions (N, C, ...), "
            f"got shape {tuple(input.shape)}"
        )
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and t.numel() != c:
            raise RuntimeError(
                f"batch_norm: {name} should contain {c} elements (the channels "
                f"of input shape {tuple(input.shape)}), not {t.numel()}"
            )
    if training and input.numel() // c <= 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input "
            f"size {list(input.shape)}"
        )
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError(
            "batch_norm: running_mean and running_var must be given when not training"
        )
    for t in (running_mean, running_var):  # passed as arrays: apply's device check skips them
        if t is not None and t.device != input.device:
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at "
                f"least two devices, {input.device} and {t.device}! (in "
                "batch_norm: running_mean and running_var must be on the "
                "input's device)"
            )
    rm = None if running_mean is None else running_mean._data
    rv = None if running_var is None else running_var._data
    return BatchNorm.apply(
        input,
        weight,
        bias,
        running_mean=rm,
        running_var=rv,
        training=training,
        momentum=momentum,
        eps=eps,
    )


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the trailing ``normalized_shape`` axes; see ``LayerNorm``."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k :]) != shape or input.ndim < k:
        raise RuntimeError(
            f"layer_norm: Given normalized_shape={list(shape)}, expected input "
            f"with shape [*, {', '.join(map(str, shape))}], but got input of "
            f"size {list(input.shape)}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(
                f"layer_norm: {name} of shape {tuple(t.shape)} does not match "
                f"normalized_shape {shape}"
            )
    return LayerNorm.apply(input, weight, bias, k=k, eps=eps)
