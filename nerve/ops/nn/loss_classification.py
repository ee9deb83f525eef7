"""Classification losses with class-index (or probability) targets: the negative
log-likelihood and softmax cross-entropy, each one node with a fused backward (nerve/ops/nn/loss.py
holds the other losses and the reduction helpers these share)."""

from __future__ import annotations

from nerve.autograd.function import Function, as_array
from nerve.backend import array_module
from nerve.dtypes import int64, is_floating, uint8
from nerve.ops.nn.activation import LogSoftmax, Softmax
from nerve.ops.nn.loss import _need_tensors, _Reduced, _reduction

__all__ = ["cross_entropy", "nll_loss"]


def _class_targets(target, n_classes, weight, ignore_index, dtype):
    """For class-index targets: the valid mask, the targets with ignored ones set to 0
    (safe to index with), and each target's class weight w_y (0 where ignored)."""
    valid = target != ignore_index
    bad = valid & ((target < 0) | (target >= n_classes))
    if bad.any():
        raise IndexError(
            f"Target {target[bad].reshape(-1)[0].item()} is out of bounds. "
            f"(expected class indices in [0, {n_classes - 1}] or "
            f"ignore_index={ignore_index})"
        )
    safe = array_module(target).where(valid, target, 0).astype(int64)
    wy = valid.astype(dtype) if weight is None else weight[safe] * valid
    return valid, safe, wy


def _scatter(dx, safe, values):
    """dx[n, tₙ, ...] += values[n, ...] (one target per position, so no collisions)."""
    idx, xp = safe[:, None], array_module(dx)
    xp.put_along_axis(dx, idx, xp.take_along_axis(dx, idx, 1) + values[:, None], 1)
    return dx


class NllLoss(_Reduced, Function):
    """x: log-probabilities (N, C, d...), t: class indices (N, d...);
    l = -w_t x[t]  (0 where t = ignore_index); 'mean' divides by Σ w_t over the kept targets;
    ∂L/∂x[t] = -δ w_t, 0 elsewhere"""

    def forward(self, x, target, weight=None, ignore_index=-100, reduction="mean"):
        _, safe, wy = _class_targets(target, x.shape[1], weight, ignore_index, x.dtype)
        self.shape, self.safe, self.wy = x.shape, safe, wy
        l = -wy * array_module(x).take_along_axis(x, safe[:, None], 1)[:, 0]
        return self._reduce(l, reduction, denom=as_array(wy.sum()))

    def backward(self, dy):
        g, xp = self._delta(dy), array_module(dy)
        dx = xp.zeros(self.shape, xp.result_type(g.dtype, self.wy.dtype))
        return _scatter(dx, self.safe, -g * self.wy)

    def backward_graph(self, dy):
        g = self._delta_graph(dy)
        pick = _scatter(array_module(dy).zeros(self.shape, dy.dtype), self.safe, -self.wy)
        return (g.unsqueeze(1) if g.ndim else g) * pick


def _log_softmax(x, with_softmax=False):
    """ln softmax over axis 1, shifted by the max so that no exp overflows; with
    ``with_softmax`` also softmax itself from the same exponentials (one exp, not two)."""
    xp = array_module(x)
    z = x - x.max(axis=1, keepdims=True)
    e = xp.exp(z)
    total = e.sum(axis=1, keepdims=True)
    z -= xp.log(total)
    if not with_softmax:
        return z
    e /= total
    return z, e


class CrossEntropy(_Reduced, Function):
    """log-softmax and NLL in one node, over classes on axis 1 of x (N, C, d...).
    With ŷ = log softmax(x), p = softmax(x), ε = label_smoothing, C classes and w the
    class weights, every loss is l = -Σ_c q_c ŷ_c for a per-position q:
      class indices t:        q_c = (1 - ε) w_t [c = t] + (ε/C) w_c  (q = 0 where ignored),
                              'mean' divides by Σ w_t over the kept targets;
      class probabilities t:  q_c = w_c ((1 - ε) t_c + ε/C),  'mean' divides by N·d...
    ∂L/∂x = δ (p Σ_c q_c - q)  (softmax minus the smoothed one-hot when unweighted);
    ∂L/∂t_c = -δ (1 - ε) w_c ŷ_c  (probability targets)."""

    def forward(
        self, x, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
    ):
        self.logp, self.p = _log_softmax(x, with_softmax=True)
        self.eps, self.n_classes = label_smoothing, x.shape[1]
        cshape = (1, -1) + (1,) * (x.ndim - 2)  # class weights along axis 1
        xp = array_module(x)
        self.wc = (xp.ones(x.shape[1], x.dtype) if weight is None else weight).reshape(cshape)
        self.probs = target.dtype.kind == "f"
        if self.probs:
            q = (1 - self.eps) * target + self.eps / self.n_classes if self.eps else target
            self.q = q * self.wc
            return self._reduce(-(self.q * self.logp).sum(1), reduction)
        return self._forward_index(target, weight, ignore_index, reduction)

    def _forward_index(self, target, weight, ignore_index, reduction):
        logp, eps, n = self.logp, self.eps, self.n_classes
        valid, self.safe, self.wy = _class_targets(target, n, weight, ignore_index, logp.dtype)
        take = array_module(logp).take_along_axis
        l = -(1 - eps) * self.wy * take(logp, self.safe[:, None], 1)[:, 0]
        if eps > 0:
            self.valid = valid.astype(logp.dtype)[:, None]
            l -= (eps / n) * (logp * self.wc).sum(1) * self.valid[:, 0]
        return self._reduce(l, reduction, denom=as_array(self.wy.sum()))

    def backward(self, dy):
        g = self._delta(dy)
        g = g[:, None] if g.ndim else g  # per position, broadcast over the classes
        p = self.p
        eps, n = self.eps, self.n_classes
        if self.probs:
            dx = g * (p * self.q.sum(1, keepdims=True) - self.q)
            dt = -(1 - eps) * g * self.wc * self.logp if self.needs_input_grad[1] else None
            return dx, dt
        wy = self.wy[:, None]
        q_total = (1 - eps) * wy
        if eps > 0:
            q_total = q_total + (eps / n) * self.wc.sum() * self.valid
        dx = p * (g * q_total)
        if eps > 0:
            dx -= (eps / n) * (g * self.valid) * self.wc
        return _scatter(dx, self.safe, (-(1 - eps) * g * wy)[:, 0]), None

    def backward_graph(self, dy):
        """δ (p Σ_c q_c - q) with p = softmax(x) as nerve ops; q from the targets."""
        x, t = self.parents[:2]
        eps, n = self.eps, self.n_classes
        g = self._delta_graph(dy)
        g = g.unsqueeze(1) if g.ndim else g
        if self.probs:
            q = (t * (1 - eps) + eps / n) * self.wc if hasattr(t, "_data") else self.q
        else:
            zeros = array_module(dy).zeros(self.logp.shape, dy.dtype)
            q = _scatter(zeros, self.safe, (1 - eps) * self.wy)
            if eps > 0:
                q = q + (eps / n) * self.wc * self.valid
        q_sum = q.sum(dim=1, keepdim=True) if hasattr(q, "_data") else q.sum(1, keepdims=True)
        dx = g * (Softmax.apply(x, dim=1) * q_sum - q)
        dt = None
        if self.probs and self.needs_input_grad[1]:
            dt = -(g * LogSoftmax.apply(x, dim=1)) * ((1 - eps) * self.wc)
        return dx, dt


# ----- wrappers: PyTorch's signatures, argument checks and error types ------------------


def _index_shape(op, ishape, tshape):
    """PyTorch's target shapes: (C,)→(), (N, C)→(N,), (N, C, d...)→(N, d...)."""
    if len(ishape) == 1:
        if tshape not in ((), (1,)):
            raise ValueError(
                f"{op}: For 1D input, 1D target must have size 1, but got target "
                f"size: {tshape[0] if len(tshape) == 1 else list(tshape)}"
            )
        return
    if len(ishape) == 2 and len(tshape) != 1:
        raise RuntimeError(
            f"{op}: 0D or 1D target tensor expected, multi-target not supported "
            f"(input {ishape}, target {tshape})"
        )
    if tshape and tshape[0] != ishape[0]:
        raise ValueError(
            f"{op}: Expected input batch_size ({ishape[0]}) to match target "
            f"batch_size ({tshape[0]})."
        )
    if tshape != ishape[:1] + ishape[2:]:
        raise RuntimeError(
            f"{op}: Expected target size {list(ishape[:1] + ishape[2:])}, got "
            f"{list(tshape)} (input {ishape})"
        )


def _class_args(op, input, target, weight, ignore_index, label_smoothing=0.0):
    """Check a classification loss's operands; returns (weight array, probability targets?)."""
    _need_tensors(op, input=input, target=target)
    if input.ndim == 0:
        raise ValueError(f"{op}: Expected 1 or more dimensions (got 0)")
    ishape, tshape = tuple(input.shape), tuple(target.shape)
    n_classes = ishape[1] if len(ishape) > 1 else ishape[0]
    if len(ishape) > 1 and tshape and tshape[0] != ishape[0]:  # PyTorch checks this first
        raise ValueError(
            f"{op}: Expected input batch_size ({ishape[0]}) to match target "
            f"batch_size ({tshape[0]})."
        )
    if weight is not None and tuple(weight.shape) != (n_classes,):
        raise RuntimeError(
            f"{op}: weight tensor should be defined either for all {n_classes} "
            f"classes or no classes but got weight tensor of shape: "
            f"{list(weight.shape)}"
        )
    if label_smoothing > 1:
        raise RuntimeError(
            f"{op}: label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}"
        )
    probs = op == "cross_entropy" and tshape == ishape
    if probs and not is_floating(target.dtype):
        raise RuntimeError(
            f"{op}: Expected floating point type for target with class "
            f"probabilities, got {target.dtype}"
        )
    if probs and ignore_index != -100:
        raise RuntimeError(f"{op}: ignore_index is not supported for floating point target")
    if not probs and target.dtype not in (int64, uint8):
        raise RuntimeError(
            f"{op}: expected target dtype to be Long or Byte (class indices), "
            f"but got {target.dtype} (input {ishape}, target {tshape})"
        )
    if not probs:
        _index_shape(op, ishape, tshape)
    w = None if weight is None else array_module(input).asarray(getattr(weight, "_data", weight))
    return (None if w is None else w.astype(input.dtype)), probs


def _classify(cls, input, target, probs, reduction, **params):
    """Apply a classification Function, making an unbatched input (C,) a batch of one."""
    if target.device != input.device:  # index targets go in as arrays, unchecked by apply
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but found at least "
            f"two devices, {input.device} and {target.device}! (in "
            f"{cls.__name__.lower()}: move the target to the input's device)"
        )
    t = target if probs else target._data
    if input.ndim > 1:
        return cls.apply(input, t, reduction=reduction, **params)
    x = input.reshape(1, -1)
    t = t.reshape(1, -1) if probs else t.reshape(1)
    y = cls.apply(x, t, reduction=reduction, **params)
    return y.reshape(() if probs else tuple(target.shape)) if reduction == "none" else y


def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
):
    reduction = _reduction(reduction, size_average, reduce)
    w, _ = _class_args("nll_loss", input, target, weight, ignore_index)
    return _classify(
        NllLoss, input, target, False, reduction, weight=w, ignore_index=int(ignore_index)
    )


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    reduction = _reduction(reduction, size_average, reduce)
    w, probs = _class_args("cross_entropy", input, target, weight, ignore_index, label_smoothing)
    return _classify(
        CrossEntropy,
        input,
        target,
        probs,
        reduction,
        weight=w,
        ignore_index=int(ignore_index),
        label_smoothing=max(float(label_smoothing), 0.0),
    )
