"""Group, instance and local response normalization, each one node with a fused backward."""

from __future__ import annotations

import math

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.ops.nn.normalization import batch_norm
from nerve.ops.reduce.reductions import Mean, Sum

__all__ = ["group_norm", "instance_norm", "local_response_norm"]

# ruff: noqa: A002 - PyTorch's argument names (input)


class GroupNorm(Function):
    """Group normalization: the C channels of x (N, C, *S) fall into G groups of C/G; each
    sample's group is normalized over its m = (C/G)·∏S values,
    x̂ = (x - μ) / √(σ² + ε) (biased σ²), then y = γ x̂ + β with per-channel γ, β.
    With δ = ∂L/∂y, g = γ δ and s = 1/√(σ² + ε), the sums over one sample's group:
    ∂L/∂γ = Σ_{n,S} δ x̂,  ∂L/∂β = Σ_{n,S} δ,
    ∂L/∂x = (s/m) (m g - Σ g - x̂ Σ g x̂)

    Instance normalization is the case G = C; given ``running_mean``/``running_var`` (only
    then), they are updated in place with the batch average of the per-sample statistics,
    the variance unbiased (× m/(m-1)), as PyTorch's instance_norm does.

    The work runs on the (N, G, C/G, *S) view of x: splitting the channel axis is a view in
    any layout, so a conv's channels-last output is not copied.
    """

    def forward(
        self,
        x,
        w=None,
        b=None,
        groups=1,
        eps=1e-5,
        running_mean=None,
        running_var=None,
        momentum=0.1,
    ):
        n, c, *rest = x.shape
        xg = x.reshape(n, groups, c // groups, *rest)
        self.axes = axes = tuple(range(2, xg.ndim))
        self.m = m = c // groups * math.prod(rest)
        mean = xg.mean(axis=axes, keepdims=True)
        xc = xg - mean
        sub = "ngcdefh"[: xc.ndim]  # Σ xc² per (n, g) without a squared temporary
        xp = array_module(x)
        var = xp.einsum(f"{sub},{sub}->ng", xc, xc)[(...,) + (None,) * len(axes)] / m
        self.inv_std = (1 / xp.sqrt(var + eps)).astype(x.dtype)
        self.xhat = xhat = xc * self.inv_std
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean.reshape(n, c).mean(axis=0)
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += (momentum * m / (m - 1)) * var.reshape(n, c).mean(axis=0)
        self.x_shape, self.groups = x.shape, groups
        self.eps = eps
        self.wg = None if w is None else _per_channel(w, groups, len(rest))
        y = xhat if w is None else xhat * self.wg
        if b is not None:
            y = y + _per_channel(b, groups, len(rest))
        return y.reshape(x.shape)

    def backward(self, dy):
        need = (*self.needs_input_grad, False, False)
        n, c = self.x_shape[:2]
        dyg = dy.reshape(self.xhat.shape)
        xhat, axes, m = self.xhat, self.axes, self.m
        dx = dw = db = None
        if need[0]:
            g = dyg if self.wg is None else dyg * self.wg
            sum_g = g.sum(axis=axes, keepdims=True)
            sum_gx = (g * xhat).sum(axis=axes, keepdims=True)
            dx = ((self.inv_std / m) * (m * g - sum_g - xhat * sum_gx)).reshape(self.x_shape)
        spatial = (0,) + axes[1:]  # sum over the batch and S, keep (G, C/G)
        if need[1]:
            dw = (dyg * xhat).sum(axis=spatial).reshape(c)
        if need[2]:
            db = dyg.sum(axis=spatial).reshape(c)
        return dx, dw, db

    def backward_graph(self, dy):
        """The same rule with x̂ recomputed from x by nerve ops on the grouped view."""
        x, w = self.parents[:2]
        need = (*self.needs_input_grad, False, False)
        n, c, *rest = self.x_shape
        axes, m, g_ = self.axes, self.m, self.groups
        xc = x.reshape(n, g_, c // g_, *rest)
        xc = xc - Mean.apply(xc, axis=axes, keepdim=True)
        inv_std = (Mean.apply(xc * xc, axis=axes, keepdim=True) + self.eps) ** -0.5
        xhat = xc * inv_std
        dyg = dy.reshape(*xhat.shape)
        dx = dw = db = None
        if need[0]:
            g = dyg if w is None else dyg * w.reshape(g_, -1, *([1] * len(rest)))
            sum_g = Sum.apply(g, axis=axes, keepdim=True)
            sum_gx = Sum.apply(g * xhat, axis=axes, keepdim=True)
            dx = (inv_std * (g * m - sum_g - xhat * sum_gx) / m).reshape(*self.x_shape)
        spatial = (0,) + axes[1:]
        if need[1]:
            dw = Sum.apply(dyg * xhat, axis=spatial).reshape(c)
        if need[2]:
            db = Sum.apply(dyg, axis=spatial).reshape(c)
        return dx, dw, db


def _per_channel(v, groups, n_spatial):
    """A (C,) vector shaped (G, C/G, 1, ...) to broadcast against the grouped view."""
    return v.reshape(groups, -1, *([1] * n_spatial))


class LocalResponseNorm(Function):
    """Local response normalization across channels (axis 1) of x (N, C, *S):
    y_c = x_c / s_c^β,  s_c = k + (α/n) Σ_{c' ∈ W(c)} x_{c'}²,
    W(c) = [c - ⌊n/2⌋, c + ⌊(n-1)/2⌋] cut to the existing channels (the sum is still divided
    by n, as PyTorch's zero-padded average does). With δ = ∂L/∂y:
    ∂L/∂x_j = δ_j s_j^-β - (2αβ/n) x_j Σ_{c: j ∈ W(c)} δ_c y_c / s_c
    (the transposed window, [j - ⌊(n-1)/2⌋, j + ⌊n/2⌋]).
    """

    def forward(self, x, size=1, alpha=1e-4, beta=0.75, k=1.0):
        self.before, self.after = size // 2, (size - 1) // 2
        self.coef = alpha / size
        self.s = s = k + self.coef * _window_sum(x * x, self.before, self.after)
        self.s_pow = s**-beta
        self.x, self.beta = x, beta
        self.y = x * self.s_pow
        return self.y

    def backward(self, dy):
        back = _window_sum(dy * self.y / self.s, self.after, self.before)
        return dy * self.s_pow - (2 * self.coef * self.beta) * self.x * back


def _window_sum(a, before, after):
    """out_c = Σ a_{c'} for c' in [c - before, c + after] along axis 1 (missing ones are 0):
    one shifted add per window offset, not per channel."""
    c = a.shape[1]
    out = a.copy()
    for d in range(1, min(before, c - 1) + 1):
        out[:, d:] += a[:, : c - d]
    for d in range(1, min(after, c - 1) + 1):
        out[:, : c - d] += a[:, d:]
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each sample over groups of channels; see ``GroupNorm``."""
    if input.ndim < 2:
        raise RuntimeError(
            f"group_norm: expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(
            f"group_norm: expected number of channels in input to be divisible "
            f"by num_groups, but got input of shape {list(input.shape)} and "
            f"num_groups={num_groups}"
        )
    _check_channels("group_norm", input, weight, bias)
    return GroupNorm.apply(input, weight, bias, groups=num_groups, eps=eps)


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-5,
):
    """Normalize each (sample, channel) over its spatial values (GroupNorm with G = C); with
    ``use_input_stats=False`` the running statistics are used instead, per channel."""
    if input.ndim < 2:
        raise RuntimeError(
            f"instance_norm: expected input with at least 2 dimensions "
            f"(N, C, ...), got shape {tuple(input.shape)}"
        )
    _check_channels("instance_norm", input, weight, bias, running_mean, running_var)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                "instance_norm: expected running_mean and running_var to be "
                "defined when use_input_stats is false"
            )
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    if math.prod(input.shape[2:]) <= 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size "
            f"{list(input.shape)}"
        )
    rm = None if running_mean is None else running_mean._data
    rv = None if running_var is None else running_var._data
    return GroupNorm.apply(
        input,
        weight,
        bias,
        groups=input.shape[1],
        eps=eps,
        running_mean=rm,
        running_var=rv,
        momentum=momentum,
    )


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalize each value by the energy of its neighbours across channels; see
    ``LocalResponseNorm``."""
    if input.ndim < 3:
        raise ValueError(
            f"local_response_norm: expected 3D or higher dimensionality input "
            f"(got {input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    return LocalResponseNorm.apply(input, size=int(size), alpha=alpha, beta=beta, k=k)


def _check_channels(op, input, *vectors):
    c = input.shape[1]
    for t in vectors:
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(
                f"{op}: expected weight, bias and running statistics to be "
                f"vectors of size {c} (the channels of input shape "
                f"{list(input.shape)}), but got one of shape {list(t.shape)}"
            )
