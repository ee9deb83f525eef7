"""More of PyTorch's losses: margin and ranking losses, embedding losses, and the Poisson and
Gaussian negative log-likelihoods.

The two multi-class margin losses are Functions with a fused backward (one node instead of
a gather, a broadcast, a clamp, a power and a masked sum); the rest are composites of
differentiable ops, written to follow PyTorch's formulas (and so its gradients, down to
which side of a kink gets the slope). x is the input, y the target, l the per-sample loss.
"""

from __future__ import annotations

import math

from nerve.autograd.function import Function, wrap
from nerve.backend import array_module
from nerve.backend.arrayfns import scatter_add
from nerve.dtypes import int64, is_floating
from nerve.ops.math.elementary import pairwise_distance
from nerve.ops.math.elementwise import where
from nerve.ops.math.elementwise_extrema import minimum
from nerve.ops.nn.activation import logsigmoid
from nerve.ops.nn.loss import _need_tensors, _Reduced, _reduction

__all__ = [
    "cosine_embedding_loss", "gaussian_nll_loss", "hinge_embedding_loss", "margin_ranking_loss",
    "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
    "poisson_nll_loss", "triplet_margin_loss",
]  # fmt: skip


class MultiMarginLoss(_Reduced, Function):
    """Multi-class hinge loss of x (N, C) for class indices y (N,), with z_i = margin - x_y + x_i:
    l = Σ_{i≠y} w_y max(0, z_i)ᵖ / C  (p = 1 or 2);
    ∂L/∂x_i = δ w_y p max(0, z_i)ᵖ⁻¹ / C for i ≠ y,  ∂L/∂x_y = -Σ_{i≠y} ∂L/∂x_i"""

    def forward(self, x, y, p=1, margin=1.0, weight=None, reduction="mean"):
        xp = array_module(x)
        n, c = x.shape
        self.y, self.p = y, p
        xy = xp.take_along_axis(x, y[:, None], 1)  # (N, 1)
        z = (margin - xy) + x
        z[xp.arange(n), y] = 0  # the target class is not its own competitor
        self.z = xp.maximum(z, 0)
        self.scale = xp.full(n, 1 / c, x.dtype) if weight is None else weight[y] / c
        h = self.z if p == 1 else self.z * self.z
        return self._reduce(h.sum(1) * self.scale, reduction)

    def backward(self, dy):
        g = self._delta(dy) * self.scale  # (N,)
        dx = (self.z > 0) * g[:, None] if self.p == 1 else (2 * g[:, None]) * self.z
        dx = dx.astype(self.z.dtype, copy=False)
        rows = array_module(dx).arange(len(dx))
        dx[rows, self.y] = -dx.sum(1)  # its own entry is 0, so the sum is over i ≠ y
        return dx, None


class MultiLabelMarginLoss(_Reduced, Function):
    """Multi-label hinge loss of x (N, C); each row of y lists target classes, ended by the
    first -1. With T the targets and z_ji = 1 - x_j + x_i:
    l = Σ_{j∈T} Σ_{i∉T} max(0, z_ji) / C  (a class listed twice counts twice);
    ∂L/∂x_i = δ/C · #{j : z_ji > 0},  ∂L/∂x_j = -δ/C · #{i : z_ji > 0}"""

    def forward(self, x, y, reduction="mean"):
        xp = array_module(x)
        n, c = x.shape
        # a slot counts if no -1 came before it (cumprod stops at the first -1)
        listed = xp.cumprod(y >= 0, axis=1).astype(bool)  # (N, C slots)
        # the listed slots are a prefix of each row: keep only as many as the longest list,
        # so memory below is N·S·C for S targets, not N·C²
        s = int(listed.sum(1).max()) if n else 0
        listed = listed[:, :s]
        cls = xp.where(listed, y[:, :s], 0)
        # the classes listed in each row, as a boolean (N, C) table
        is_target = (cls[:, :, None] == xp.arange(c)) & listed[:, :, None]
        is_target = is_target.any(1)
        xj = xp.take_along_axis(x, cls, 1)  # (N, S)
        # (N, S, 1) vs (N, 1, C) -> (N, S, C): every listed slot against every other class
        z = (1 - xj)[:, :, None] + x[:, None, :]
        self.hit = (z > 0) & listed[:, :, None] & ~is_target[:, None, :]
        self.cls, self.c = cls, c
        return self._reduce(xp.where(self.hit, z, 0).sum((1, 2)).astype(x.dtype) / c, reduction)

    def backward(self, dy):
        xp = array_module(self.hit)
        g = xp.broadcast_to(self._delta(dy) / self.c, self.hit.shape[:1])[:, None]
        dx = self.hit.sum(1) * g  # (N, C): as the competitor i
        scatter_add(dx, (xp.arange(len(dx))[:, None], self.cls), -self.hit.sum(2) * g)
        return dx, None


# ----- argument checks ---------------------------------------------------------------------
def _check_dims(op, **tensors):
    dims = {name: t.ndim for name, t in tensors.items()}
    if len(set(dims.values())) > 1:
        got = ", ".join(f"{k}: {tuple(t.shape)}" for k, t in tensors.items())
        raise RuntimeError(
            f"{op}: All input tensors should have same dimension but got sizes: {got}"
        )


def _float_target(target, input):  # noqa: A002 - PyTorch's argument names
    return target if is_floating(target.dtype) else target.to(input.dtype)


def _reduced(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _class_index(op, target):
    if target.dtype != int64:
        raise RuntimeError(
            f"{op}: expected target of scalar type Long (int64) but found {target.dtype}"
        )


def _as_matrix(op, input):
    """PyTorch's 'non-empty vector or matrix with optional 0-dim batch size'."""
    shape = tuple(input.shape)
    if input.ndim > 2 or (input.ndim == 2 and shape[1] == 0) or shape == (0,):
        raise RuntimeError(
            f"{op}: Expected non-empty vector or matrix with optional 0-dim "
            f"batch size, but got: {list(shape)}"
        )
    return input.reshape(1, -1) if input.ndim < 2 else input


# ----- the losses ------------------------------------------------------------------------
def margin_ranking_loss(
    input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"
):
    """l = max(0, -y (x₁ - x₂) + margin), y ∈ {1, -1} says which input should rank higher."""
    reduction = _reduction(reduction, size_average, reduce)
    _need_tensors("margin_ranking_loss", input1=input1, input2=input2, target=target)
    _check_dims("margin_ranking_loss", input1=input1, input2=input2, target=target)
    target = _float_target(target, input1)
    return _reduced((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(
    input,
    target,
    margin=1.0,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """l = x where y = 1, max(0, margin - x) where y = -1 (as PyTorch: a target that is
    neither adds both terms)."""
    reduction = _reduction(reduction, size_average, reduce)
    _need_tensors("hinge_embedding_loss", input=input, target=target)
    pulled = where(target != 1, (margin - input).clamp(min=0), 0.0)
    return _reduced(pulled + where(target != -1, input, 0.0), reduction)


def cosine_embedding_loss(
    input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"
):
    """With cos = x₁·x₂ / √((‖x₁‖² + ε)(‖x₂‖² + ε)), ε = 1e-12:
    l = 1 - cos where y = 1, max(0, cos - margin) where y = -1 (0 for other targets).
    Inputs (N, D) with target (N,), or (D,) with target ()."""
    reduction = _reduction(reduction, size_average, reduce)
    op = "cosine_embedding_loss"
    _need_tensors(op, input1=input1, input2=input2, target=target)
    sizes = f"{list(input1.shape)} and {list(input2.shape)}"
    if target.ndim > 1:
        raise RuntimeError(
            f"{op}: 0D or 1D target tensor expected, multi-target not "
            f"supported (target {list(target.shape)})"
        )
    if target.ndim == 1 and not input1.ndim == input2.ndim == 2:
        raise RuntimeError(
            f"{op}: 1D target tensor expects 2D input tensors, but found inputs with sizes {sizes}."
        )
    if target.ndim == 0 and not input1.ndim == input2.ndim == 1:
        raise RuntimeError(
            f"{op}: 0D target tensor expects 1D input tensors, but found inputs with sizes {sizes}."
        )
    dim = input1.ndim - 1
    dot = (input1 * input2).sum(dim)
    sq1, sq2 = (input1 * input1).sum(dim) + 1e-12, (input2 * input2).sum(dim) + 1e-12
    cos = dot / (sq1 * sq2).sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduced(loss, reduction)


def multi_margin_loss(
    input,
    target,
    p=1,
    margin=1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    reduction = _reduction(reduction, size_average, reduce)
    op = "multi_margin_loss"
    _need_tensors(op, input=input, target=target)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 supported, got p={p}")
    if weight is not None and weight.ndim != 1:
        raise ValueError(f"{op}: weight must be one-dimensional, got shape {list(weight.shape)}")
    _class_index(op, target)
    x = _as_matrix(op, input)
    n, c = x.shape
    if target.ndim > 1 or target.numel() != n:
        raise RuntimeError(
            f"{op}: target tensor should be 1-D with size equal to the number "
            f"of input samples (batch size). Expected target size [{n}], but "
            f"got {list(target.shape)}. Input has shape {list(input.shape)}."
        )
    if weight is not None and weight.numel() != c:
        raise RuntimeError(
            f"{op}: inconsistent weight size, expected {c} but got {list(weight.shape)}"
        )
    y = target._data.reshape(n)
    if bool(((y < 0) | (y >= c)).any()):
        raise RuntimeError(f"{op}: target out of range (expected class indices in [0, {c}))")
    w = None if weight is None else weight._data.astype(x.dtype, copy=False)
    out = MultiMarginLoss.apply(x, y, p=int(p), margin=float(margin), weight=w, reduction=reduction)
    return out.reshape(tuple(target.shape)) if reduction == "none" else out


def multilabel_margin_loss(
    input,
    target,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    reduction = _reduction(reduction, size_average, reduce)
    op = "multilabel_margin_loss"
    _need_tensors(op, input=input, target=target)
    _class_index(op, target)
    x = _as_matrix(op, input)
    if tuple(target.shape) != tuple(input.shape) and not (input.ndim == 0 and target.numel() == 1):
        raise RuntimeError(
            f"{op}: inconsistent target size: {list(target.shape)} for input "
            f"of size: {list(input.shape)}"
        )
    y = target._data.reshape(x.shape)
    if bool(((y < -1) | (y >= x.shape[1])).any()):
        raise RuntimeError(
            f"{op}: target is out of range (expected class indices in "
            f"[0, {x.shape[1]}) or -1 to end the list)"
        )
    out = MultiLabelMarginLoss.apply(x, y, reduction=reduction)
    return out.reshape(tuple(input.shape)[:-1]) if reduction == "none" else out


def multilabel_soft_margin_loss(
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """l = -Σ_c w_c [y_c ln σ(x_c) + (1 - y_c) ln σ(-x_c)] / C over the last dimension."""
    reduction = _reduction(reduction, size_average, reduce)
    _need_tensors("multilabel_soft_margin_loss", input=input, target=target)
    target = _float_target(target, input)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    c = input.shape[-1] if input.ndim else 1
    return _reduced(loss.sum(-1 if input.ndim else None) / c, reduction)


def poisson_nll_loss(
    input,
    target,
    log_input=True,
    full=False,
    size_average=None,
    eps=1e-8,
    reduce=None,
    reduction="mean",
):
    """l = e^x - y x (log_input), or x - y ln(x + eps); ``full`` adds Stirling's
    y ln y - y + ½ ln(2π y) where y > 1."""
    reduction = _reduction(reduction, size_average, reduce)
    _need_tensors("poisson_nll_loss", input=input, target=target)
    target = _float_target(target, input)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        big = target > 1
        t = where(big, target, 1.0)  # keeps the logs finite where the term is dropped
        stirling = t * t.log() - t + 0.5 * (2 * math.pi * t).log()
        loss = loss + where(big, stirling, 0.0)
    return _reduced(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """l = ½ (ln max(var, eps) + (x - y)² / max(var, eps)) (+ ½ ln 2π if ``full``).
    var has the input's shape, or one dimension of size 1 (or the last one missing) for a
    shared variance. As in PyTorch, the clamp at eps is not differentiated through."""
    op = "gaussian_nll_loss"
    if isinstance(var, int | float):
        if var < 0:
            raise ValueError(f"{op}: var has negative entry/entries")
        var = wrap(array_module(input._data).full(tuple(input.shape), var, input.dtype))
    elif bool((var._data < 0).any()):
        raise ValueError(f"{op}: var has negative entry/entries")
    ishape, vshape = tuple(input.shape), tuple(var.shape)
    if vshape != ishape:
        if ishape[:-1] == vshape:
            var = var.unsqueeze(-1)
        elif not (
            len(ishape) == len(vshape) and sum(v for i, v in zip(ishape, vshape) if i != v) == 1
        ):
            raise ValueError(
                f"{op}: var is of incorrect size (var {list(vshape)}, input {list(ishape)})"
            )
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    floor = array_module(var._data).maximum(var._data, var.dtype.type(eps)) - var._data
    var = var + wrap(floor)  # the clamped value, with var's own gradient
    diff = input - target
    loss = 0.5 * (var.log() + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduced(loss, reduction)


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin=1.0,
    p=2,
    eps=1e-6,
    swap=False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """l = max(0, margin + d(a, p) - d(a, n)), d the pairwise p-norm distance; ``swap`` uses
    min(d(a, n), d(p, n)) as the negative distance."""
    reduction = _reduction(reduction, size_average, reduce)
    op = "triplet_margin_loss"
    _need_tensors(op, anchor=anchor, positive=positive, negative=negative)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            f"{op}: The anchor, positive, and negative tensors are expected to "
            f"have the same number of dimensions, but got: anchor "
            f"{anchor.ndim}D, positive {positive.ndim}D, and negative "
            f"{negative.ndim}D inputs"
        )
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduced((margin + d_pos - d_neg).clamp(min=0), reduction)
