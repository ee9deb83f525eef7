"""Loss functions: one Function per loss with a fused backward, stable for extreme inputs.

x is the input (prediction), t the target, l the per-element loss, δ = ∂L/∂l (δ/n for
``reduction='mean'``). Shapes, dtypes, defaults and error types follow PyTorch.
"""

from __future__ import annotations

import warnings

from nerve.autograd.function import Function, as_array
from nerve.backend import array_module
from nerve.backend.arrayfns import broadcast_shapes, errstate
from nerve.dtypes import is_floating
from nerve.ops.math.elementwise import Log
from nerve.ops.math.elementwise_extrema import Clamp
from nerve.ops.nn.activation import Sigmoid, Softplus
from nerve.tensor import Tensor

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "huber_loss", "kl_div",
    "l1_loss", "mse_loss", "smooth_l1_loss", "soft_margin_loss",
]  # fmt: skip

_LOG_FLOOR = -100.0  # PyTorch clamps BCE's logs here so that log(0) stays finite
_BCE_EPS = 1e-12  # and keeps x(1 - x) away from zero in BCE's gradient


def _softplus(z):
    """ln(1 + eᶻ) without overflow for large |z|."""
    return array_module(z).logaddexp(0, z)


def _sigmoid(z):
    """σ(z) as ½(1 + tanh(z/2)), which never overflows."""
    return 0.5 * (1 + array_module(z).tanh(0.5 * z))


class _Reduced:
    """Mixed into the losses: weight and reduce l to the output, spread δ back over l."""

    w = None

    def _reduce(self, l, reduction, weight=None, denom=None):
        self.reduction, self.w = reduction, weight
        if weight is not None:
            l = l * weight
        if reduction == "none":
            return l
        total = as_array(l.sum())
        if reduction == "sum":
            return total
        self.denom = l.size if denom is None else denom
        xp = array_module(total)
        with errstate(xp, divide="ignore", invalid="ignore"):  # empty or all-ignored: NaN
            return as_array(total / xp.asarray(self.denom, dtype=total.dtype))

    def _delta(self, dy):
        if self.reduction == "mean":
            xp = array_module(dy)
            with errstate(xp, divide="ignore", invalid="ignore"):
                dy = dy / xp.asarray(self.denom, dtype=dy.dtype)
        return dy if self.w is None else dy * self.w

    def _delta_graph(self, dy):
        """``_delta`` on a Tensor δ (double backward)."""
        if self.reduction == "mean":
            xp = array_module(dy)
            with errstate(xp, divide="ignore", invalid="ignore"):
                dy = dy / xp.asarray(self.denom, dtype=dy.dtype)
        return dy if self.w is None else dy * self.w


class MseLoss(_Reduced, Function):
    """l = (x - t)²;  ∂L/∂x = δ · 2 (x - t),  ∂L/∂t = -∂L/∂x"""

    def forward(self, x, t, reduction="mean"):
        self.d = x - t
        return self._reduce(self.d * self.d, reduction)

    def backward(self, dy):
        dx = self._delta(dy) * (2 * self.d)
        return dx, (-dx if self.needs_input_grad[1] else None)

    def backward_graph(self, dy):
        x, t = self.parents[:2]
        dx = self._delta_graph(dy) * ((x - t) * 2)
        return dx, (-dx if self.needs_input_grad[1] else None)


class L1Loss(_Reduced, Function):
    """l = |x - t|;  ∂L/∂x = δ · sign(x - t),  ∂L/∂t = -∂L/∂x"""

    def forward(self, x, t, reduction="mean"):
        self.d = x - t
        return self._reduce(array_module(self.d).abs(self.d), reduction)

    def backward(self, dy):
        dx = self._delta(dy) * array_module(self.d).sign(self.d)
        return dx, (-dx if self.needs_input_grad[1] else None)

    def backward_graph(self, dy):
        dx = self._delta_graph(dy) * array_module(self.d).sign(self.d)
        return dx, (-dx if self.needs_input_grad[1] else None)


class SmoothL1Loss(_Reduced, Function):
    """d = x - t;  l = d² / 2β where |d| < β, else |d| - β/2  (β = 0: l = |d|);
    ∂L/∂x = δ · d/β where |d| < β, else δ · sign(d);  ∂L/∂t = -∂L/∂x"""

    def forward(self, x, t, reduction="mean", beta=1.0):
        d = x - t
        self.d, self.beta = d, beta
        xp, ad = array_module(d), abs(d)
        l = xp.where(ad < beta, d * d * (0.5 / beta) if beta > 0 else 0, ad - 0.5 * beta)
        return self._reduce(l.astype(d.dtype, copy=False), reduction)

    def backward(self, dy):
        xp = array_module(self.d)
        slope = xp.sign(self.d) if self.beta == 0 else xp.clip(self.d / self.beta, -1, 1)
        dx = self._delta(dy) * slope
        return dx, (-dx if self.needs_input_grad[1] else None)

    def backward_graph(self, dy):
        x, t = self.parents[:2]
        xp = array_module(self.d)
        slope = (
            xp.sign(self.d) if self.beta == 0 else Clamp.apply((x - t) / self.beta, lo=-1.0, hi=1.0)
        )
        dx = self._delta_graph(dy) * slope
        return dx, (-dx if self.needs_input_grad[1] else None)


class HuberLoss(_Reduced, Function):
    """d = x - t;  l = d²/2 where |d| < Δ, else Δ (|d| - Δ/2);
    ∂L/∂x = δ · clip(d, -Δ, Δ),  ∂L/∂t = -∂L/∂x"""

    def forward(self, x, t, reduction="mean", delta=1.0):
        d = x - t
        self.d, self.delta = d, delta
        xp, ad = array_module(d), abs(d)
        l = xp.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
        return self._reduce(l.astype(d.dtype, copy=False), reduction)

    def backward(self, dy):
        dx = self._delta(dy) * array_module(self.d).clip(self.d, -self.delta, self.delta)
        return dx, (-dx if self.needs_input_grad[1] else None)

    def backward_graph(self, dy):
        x, t = self.parents[:2]
        dx = self._delta_graph(dy) * Clamp.apply(x - t, lo=-self.delta, hi=self.delta)
        return dx, (-dx if self.needs_input_grad[1] else None)


class SoftMarginLoss(_Reduced, Function):
    """l = ln(1 + e^(-t x));  ∂L/∂x = -δ · t σ(-t x)  (t takes no gradient, as in PyTorch)"""

    def forward(self, x, t, reduction="mean"):
        self.t, self.z = t, -t * x
        return self._reduce(_softplus(self.z), reduction)

    def backward(self, dy):
        return -self._delta(dy) * self.t * _sigmoid(self.z), None


class KlDiv(_Reduced, Function):
    """Pointwise KL divergence with x = ln q given as log-probabilities:
    l = t (ln t - x)  (0 where t = 0);  ∂L/∂x = -δ t,  ∂L/∂t = δ (ln t + 1 - x);
    with ``log_target`` (t = ln p):  l = eᵗ (t - x);  ∂L/∂x = -δ eᵗ,  ∂L/∂t = δ eᵗ (t - x + 1).
    'batchmean' divides the sum by the batch size x.shape[0]."""

    def forward(self, x, t, reduction="mean", log_target=False):
        self.x, self.t, self.log_target = x, t, log_target
        xp = array_module(x, t)
        with errstate(xp, divide="ignore", invalid="ignore"):
            if log_target:
                l = xp.exp(t) * (t - x)
            else:
                l = xp.where(t == 0, 0, t * xp.log(t)).astype(t.dtype, copy=False) - t * x
        if reduction == "batchmean":
            return self._reduce(l, "mean", denom=x.shape[0] if x.ndim else 1)
        return self._reduce(l, reduction)

    def backward(self, dy):
        g = self._delta(dy)
        xp = array_module(dy)
        t, p = self.t, (xp.exp(self.t) if self.log_target else self.t)
        if not self.needs_input_grad[1]:
            return -g * p, None
        with errstate(xp, divide="ignore", invalid="ignore"):
            dt = g * p * (t - self.x + 1) if self.log_target else g * (xp.log(t) + 1 - self.x)
        return -g * p, dt


class BinaryCrossEntropy(_Reduced, Function):
    """l = -w [t ln x + (1 - t) ln(1 - x)], each log clamped at -100 as in PyTorch;
    ∂L/∂x = δ w (x - t) / max(x (1 - x), 1e-12),
    ∂L/∂t = δ w [ln(1 - x) - ln x]  (the clamped logs: the exact slope of l in t)"""

    def forward(self, x, t, weight=None, reduction="mean"):
        xp = array_module(x, t)
        for name, v in (("input", x), ("target", t)):
            if ((v < 0) | (v > 1)).any():
                raise RuntimeError(
                    f"binary_cross_entropy: all elements of {name} should be between 0 and 1"
                )
        with errstate(xp, divide="ignore"):
            self.log_x = xp.maximum(xp.log(x), _LOG_FLOOR)
            self.log_1mx = xp.maximum(xp.log1p(-x), _LOG_FLOOR)
        self.x, self.t = x, t
        return self._reduce(-(t * self.log_x + (1 - t) * self.log_1mx), reduction, weight)

    def backward(self, dy):
        g, x = self._delta(dy), self.x
        dx = g * (x - self.t) / array_module(x).maximum(x * (1 - x), _BCE_EPS)
        dt = g * (self.log_1mx - self.log_x) if self.needs_input_grad[1] else None
        return dx, dt

    def backward_graph(self, dy):
        x, t = self.parents[:2]
        g = self._delta_graph(dy)
        dx = g * (x - t) / Clamp.apply(x * (1 - x), lo=_BCE_EPS)
        dt = None
        if self.needs_input_grad[1]:
            dt = g * (
                Clamp.apply(Log.apply(1 - x), lo=_LOG_FLOOR)
                - Clamp.apply(Log.apply(x), lo=_LOG_FLOOR)
            )
        return dx, dt


class BinaryCrossEntropyWithLogits(_Reduced, Function):
    """l = w [p t softplus(-x) + (1 - t) softplus(x)]  (p = pos_weight; softplus(-x) = -ln σ(x));
    ∂L/∂x = δ w [σ(x) (p t + 1 - t) - p t],  ∂L/∂t = δ w [p softplus(-x) - softplus(x)]"""

    def forward(self, x, t, weight=None, pos_weight=None, reduction="mean"):
        self.x, self.t = x, t
        self.p = 1 if pos_weight is None else pos_weight
        self.sp_neg = _softplus(-x)
        self.sp_pos = self.sp_neg + x  # softplus(x) = softplus(-x) + x, exactly and stably
        l = self.p * t * self.sp_neg + (1 - t) * self.sp_pos
        return self._reduce(l, reduction, weight)

    def backward_graph(self, dy):
        x, t = self.parents[:2]
        g, p = self._delta_graph(dy), self.p
        dx = g * (Sigmoid.apply(x) * (t * p - t + 1) - t * p)
        dt = None
        if self.needs_input_grad[1]:
            dt = g * (Softplus.apply(-x) * p - Softplus.apply(x))
        return dx, dt

    def backward(self, dy):
        g = self._delta(dy)
        pt = self.p * self.t
        dx = g * (_sigmoid(self.x) * (pt + 1 - self.t) - pt)
        dt = g * (self.p * self.sp_neg - self.sp_pos) if self.needs_input_grad[1] else None
        return dx, dt


def _reduction(reduction, size_average=None, reduce=None, allowed=("none", "mean", "sum")):
    """The reduction string, honouring PyTorch's deprecated size_average/reduce pair."""
    if size_average is not None or reduce is not None:
        avg = size_average is None or size_average
        reduction = ("mean" if avg else "sum") if reduce is None or reduce else "none"
        warnings.warn(
            "size_average and reduce args will be deprecated, please use "
            f"reduction='{reduction}' instead.",
            stacklevel=3,
        )
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _broadcast(a, b):
    try:
        return broadcast_shapes(a, b)
    except ValueError:
        return None


def _need_tensors(op, **tensors):
    for name, v in tensors.items():
        if not isinstance(v, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(v).__name__}")
        if name == "input" and not is_floating(v.dtype):
            raise RuntimeError(f"{op}: expected a floating point input, got dtype {v.dtype}")


def _pointwise(op, input, target):  # noqa: A002 - PyTorch's argument names
    """Check a pointwise loss's operands and give an integer target the input's dtype.
    Like PyTorch, a target of another (broadcastable) shape is broadcast with a warning."""
    _need_tensors(op, input=input, target=target)
    if not is_floating(target.dtype):
        target = target.to(input.dtype)
    if input.shape != target.shape:
        if _broadcast(input.shape, target.shape) is None:
            raise RuntimeError(
                f"{op}: input of shape {tuple(input.shape)} and target of shape "
                f"{tuple(target.shape)} cannot be broadcast together"
            )
        warnings.warn(
            f"{op}: Using a target size ({tuple(target.shape)}) that is different to "
            f"the input size ({tuple(input.shape)}). This will likely lead to "
            "incorrect results due to broadcasting. Please ensure they have the "
            "same size.",
            stacklevel=3,
        )
    return target


def _distance(
    cls,
    op,
    input,
    target,
    reduction,
    weight=None,
    by_weight=True,
    **params,
):
    """A pointwise loss; with an elementwise weight it is composed from differentiable ops
    as in PyTorch, whose weighted 'mean' divides by Σ w (MSE, L1) or by the count (Huber)."""
    target = _pointwise(op, input, target)
    if weight is None:
        return cls.apply(input, target, reduction=reduction, **params)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(
            f"{op}: Weights and input must have the same size (weight "
            f"{tuple(weight.shape)}, input {tuple(input.shape)})."
        )
    wl = cls.apply(input, target, reduction="none", **params) * weight
    if reduction == "none":
        return wl
    if reduction == "sum":
        return wl.sum()
    return wl.sum() / weight.sum() if by_weight else wl.mean()


def mse_loss(
    input,
    target,
    size_average=None,
    reduce=None,
    reduction="mean",
    weight=None,
):
    reduction = _reduction(reduction, size_average, reduce)
    return _distance(MseLoss, "mse_loss", input, target, reduction, weight)


def l1_loss(
    input,
    target,
    size_average=None,
    reduce=None,
    reduction="mean",
    weight=None,
):
    reduction = _reduction(reduction, size_average, reduce)
    return _distance(L1Loss, "l1_loss", input, target, reduction, weight)


def smooth_l1_loss(
    input,
    target,
    size_average=None,
    reduce=None,
    reduction="mean",
    beta=1.0,
):
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _distance(SmoothL1Loss, "smooth_l1_loss", input, target, reduction, beta=float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _distance(
        HuberLoss,
        "huber_loss",
        input,
        target,
        reduction,
        weight,
        by_weight=False,
        delta=float(delta),
    )


def soft_margin_loss(
    input,
    target,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    target = _pointwise("soft_margin_loss", input, target)
    shape = _broadcast(input.shape, target.shape)
    if tuple(shape) != tuple(input.shape):  # PyTorch writes into an input-shaped output
        raise RuntimeError(
            f"soft_margin_loss: output with shape {list(input.shape)} doesn't "
            f"match the broadcast shape {list(shape)}"
        )
    reduction = _reduction(reduction, size_average, reduce)
    return SoftMarginLoss.apply(input, target.detach(), reduction=reduction)


def kl_div(
    input,
    target,
    size_average=None,
    reduce=None,
    reduction="mean",
    log_target=False,
):
    target = _pointwise("kl_div", input, target)
    reduction = _reduction(reduction, size_average, reduce, ("none", "mean", "sum", "batchmean"))
    return KlDiv.apply(input, target, reduction=reduction, log_target=bool(log_target))


def _bce_args(op, input, target, *weights):
    """Check BCE's operands; weight and pos_weight become arrays of the input's dtype."""
    _need_tensors(op, input=input, target=target)
    if not is_floating(target.dtype):
        raise RuntimeError(
            f"{op}: expected a floating point target (probabilities), got dtype {target.dtype}"
        )
    if target.shape != input.shape:
        raise ValueError(
            f"{op}: Target size ({tuple(target.shape)}) must be the same as "
            f"input size ({tuple(input.shape)})"
        )
    xp = array_module(input)
    arrays = [
        None if w is None else xp.asarray(getattr(w, "_data", w)).astype(input.dtype)
        for w in weights
    ]
    for name, w in zip(("weight", "pos_weight"), arrays):
        if w is not None and _broadcast(w.shape, input.shape) != input.shape:
            raise RuntimeError(
                f"{op}: {name} of shape {w.shape} does not broadcast to the "
                f"input's shape {tuple(input.shape)}"
            )
    return arrays


def binary_cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    reduction = _reduction(reduction, size_average, reduce)
    (w,) = _bce_args("binary_cross_entropy", input, target, weight)
    return BinaryCrossEntropy.apply(input, target, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
    pos_weight=None,
):
    reduction = _reduction(reduction, size_average, reduce)
    w, pw = _bce_args("binary_cross_entropy_with_logits", input, target, weight, pos_weight)
    return BinaryCrossEntropyWithLogits.apply(
        input, target, weight=w, pos_weight=pw, reduction=reduction
    )
