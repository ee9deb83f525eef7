"""More loss layers (margin, embedding, multi-label, Poisson and Gaussian NLL, triplet) and
the two distance layers CosineSimilarity and PairwiseDistance. Each holds its options
(class weights as buffers) and calls the functional op; names, arguments and defaults are
PyTorch's."""

from __future__ import annotations

from nerve import functional as F
from nerve.nn.loss import _Loss, _WeightedLoss
from nerve.nn.module import Module
from nerve.tensor import Tensor

# ruff: noqa: A002 - PyTorch's argument names (input)


class MarginRankingLoss(_Loss):
    """ℓₙ = max(0, -yₙ (x1ₙ - x2ₙ) + margin), yₙ = 1 when x1 should rank higher, -1 when x2.

    Shape: input1, input2, target of the same number of dimensions (broadcast)."""

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """ℓₙ = xₙ where yₙ = 1, max(0, margin - xₙ) where yₙ = -1; x is usually a distance."""

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_embedding_loss(input, target, margin=self.margin,
                                      reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """ℓₙ = 1 - cos(x1ₙ, x2ₙ) where yₙ = 1, max(0, cos(x1ₙ, x2ₙ) - margin) where yₙ = -1.

    Shape: inputs (N, D) with target (N,), or (D,) with target ()."""

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge: ℓₙ = Σ_{i≠y} w_y max(0, margin - x_y + x_i)ᵖ / C, p = 1 or 2.

    Shape: input (N, C) or (C,), target (N,) or () of class indices; weight (C,) a buffer."""

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                 size_average=None, reduce=None, reduction: str = "mean") -> None:
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 supported, got {p}")
        if weight is not None and weight.ndim != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got "
                             f"{weight.ndim}D instead")
        super().__init__(weight, size_average, reduce, reduction)
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge: ℓₙ = Σ_{j∈T} Σ_{i∉T} max(0, 1 - (x_j - x_i)) / C, where the target
    row lists the classes T, ended by the first -1.

    Shape: input (N, C) or (C,), target of the same shape (int64)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """One-vs-all logistic loss: ℓₙ = -Σ_c w_c [y_c ln σ(x_c) + (1 - y_c) ln σ(-x_c)] / C.

    Shape: input and target (N, C); weight (C,) a buffer."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood: ℓₙ = e^xₙ - yₙ xₙ with log_input (x = ln rate), else
    xₙ - yₙ ln(xₙ + eps); ``full`` adds Stirling's approximation of ln(yₙ!) where yₙ > 1."""

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None,
                 eps: float = 1e-8, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with predicted variance:
    ℓₙ = ½ (ln max(varₙ, eps) + (xₙ - yₙ)² / max(varₙ, eps)) (+ ½ ln 2π if ``full``).

    Shape: input and target (N, *); var the same, or one dimension of size 1 (or the last one
    missing) for a variance shared along it."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """ℓₙ = max(0, margin + d(aₙ, pₙ) - d(aₙ, nₙ)), d the p-norm pairwise distance; ``swap``
    takes min(d(a, n), d(p, n)) as the negative distance."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got "
                             f"{margin} instead")
        super().__init__(size_average, reduce, reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


# ----- distances ---------------------------------------------------------------------------
class CosineSimilarity(Module):
    """x1 · x2 / (max(‖x1‖, eps) max(‖x2‖, eps)) along ``dim`` (inputs broadcast)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """‖x1 - x2 + eps‖ₚ over the last dimension."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
