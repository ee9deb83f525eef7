"""Triplet margin loss with any distance: max(0, margin + d(a, p) - d(a, n)), the
distance a callable (pairwise Euclidean by default); autograd differentiates through it."""

from __future__ import annotations

from nerve.ops.math.elementary import pairwise_distance
from nerve.ops.math.elementwise_extrema import clamp, minimum

__all__ = ["triplet_margin_with_distance_loss"]


def triplet_margin_with_distance_loss(
    anchor,
    positive,
    negative,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
):
    """swap uses min(d(a, n), d(p, n)) as the negative distance (Balntas et al. 2016)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have "
            f"the same number of dimensions, but got: anchor {dims[0]}D, "
            f"positive {dims[1]}D, and negative {dims[2]}D inputs"
        )
    d = distance_function if distance_function is not None else pairwise_distance
    dist_pos, dist_neg = d(anchor, positive), d(anchor, negative)
    if swap:
        dist_neg = minimum(dist_neg, d(positive, negative))
    loss = clamp(margin + dist_pos - dist_neg, min=0)
    if reduction == "sum":
        return loss.sum()
    return loss.mean() if reduction == "mean" else loss
