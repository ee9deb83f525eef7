"""Loss layers: each holds its options (and class weights as buffers) and calls the
functional loss: regression and classification losses, then the margin, embedding,
multi-label, Poisson/Gaussian NLL and triplet ones (CTC in loss_ctc.py). Names,
arguments, defaults and buffers follow PyTorch's."""

from __future__ import annotations

import warnings

from nerve import functional as F
from nerve.nn.module import Module
from nerve.tensor import Tensor

# ruff: noqa: A002 - PyTorch's argument names (input)


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's deprecated size_average/reduce pair, when given, decides the reduction."""
    if size_average is None and reduce is None:
        return reduction
    avg = size_average is None or size_average
    reduction = ("mean" if avg else "sum") if reduce is None or reduce else "none"
    warnings.warn(
        "size_average and reduce args will be deprecated, please use "
        f"reduction='{reduction}' instead.",
        stacklevel=3,
    )
    return reduction


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _legacy_reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(
        self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: ℓₙ = (xₙ - yₙ)², reduced by ``reduction``.

    Shape: input (*), target (*) of the same shape; output () or (*) for 'none'.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: ℓₙ = |xₙ - yₙ|, reduced by ``reduction``."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """ℓₙ = 0.5 dₙ² / beta where |dₙ| < beta, else |dₙ| - 0.5 beta  (dₙ = xₙ - yₙ)."""

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """ℓₙ = 0.5 dₙ² where |dₙ| < delta, else delta (|dₙ| - 0.5 delta)  (dₙ = xₙ - yₙ)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss: ℓₙ = ln(1 + exp(-yₙ xₙ)), targets yₙ ∈ {1, -1}."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class KLDivLoss(_Loss):
    """ℓₙ = yₙ (ln yₙ - xₙ) with the input x given as log-probabilities (and the target y as
    log-probabilities too when ``log_target``). Use reduction='batchmean' for the true KL."""

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities: ℓₙ = -wₙ [yₙ ln xₙ + (1 - yₙ) ln(1 - xₙ)],
    the logs clamped at -100. The buffer ``weight`` rescales each element (broadcast)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid and binary cross-entropy in one stable step:
    ℓₙ = -wₙ [p yₙ ln σ(xₙ) + (1 - yₙ) ln(1 - σ(xₙ))] with p = ``pos_weight`` (per class,
    broadcast along the last dimension). ``weight`` and ``pos_weight`` are buffers."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
        pos_weight: Tensor | None = None,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, pos_weight=self.pos_weight, reduction=self.reduction
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices: ℓₙ = -w_{yₙ} x_{n, yₙ} on log-probabilities.

    Shape: input (N, C) or (C,) or (N, C, d1, ...), target (N,) or () or (N, d1, ...) of
    class indices in [0, C) or ``ignore_index``. 'mean' divides by the sum of the weights
    of the targets that are not ignored.
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits: log-softmax over dim 1 and NLL in one stable node.

    The target holds class indices (shapes as in NLLLoss) or class probabilities (the
    input's shape). ``label_smoothing`` ε mixes the target with the uniform distribution:
    (1 - ε) target + ε/C. ``weight`` (C,) rescales each class.
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


# ----- margin, embedding, multi-label, likelihood and triplet losses ---------------------
class MarginRankingLoss(_Loss):
    """ℓₙ = max(0, -yₙ (x1ₙ - x2ₙ) + margin), yₙ = 1 when x1 should rank higher, -1 when x2.

    Shape: input1, input2, target of the same number of dimensions (broadcast)."""

    def __init__(
        self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(
            input1, input2, target, margin=self.margin, reduction=self.reduction
        )


class HingeEmbeddingLoss(_Loss):
    """ℓₙ = xₙ where yₙ = 1, max(0, margin - xₙ) where yₙ = -1; x is usually a distance."""

    def __init__(
        self, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """ℓₙ = 1 - cos(x1ₙ, x2ₙ) where yₙ = 1, max(0, cos(x1ₙ, x2ₙ) - margin) where yₙ = -1.

    Shape: inputs (N, D) with target (N,), or (D,) with target ()."""

    def __init__(
        self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(
            input1, input2, target, margin=self.margin, reduction=self.reduction
        )


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge: ℓₙ = Σ_{i≠y} w_y max(0, margin - x_y + x_i)ᵖ / C, p = 1 or 2.

    Shape: input (N, C) or (C,), target (N,) or () of class indices; weight (C,) a buffer."""

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Tensor | None = None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 supported, got {p}")
        if weight is not None and weight.ndim != 1:
            raise ValueError(
                f"MultiMarginLoss: expected weight to be None or 1D tensor, got "
                f"{weight.ndim}D instead"
            )
        super().__init__(weight, size_average, reduce, reduction)
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(
            input,
            target,
            p=self.p,
            margin=self.margin,
            weight=self.weight,
            reduction=self.reduction,
        )


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
        return F.multilabel_soft_margin_loss(
            input, target, weight=self.weight, reduction=self.reduction
        )


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood: ℓₙ = e^xₙ - yₙ xₙ with log_input (x = ln rate), else
    xₙ - yₙ ln(xₙ + eps); ``full`` adds Stirling's approximation of ln(yₙ!) where yₙ > 1."""

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        size_average=None,
        eps: float = 1e-8,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return F.poisson_nll_loss(
            log_input,
            target,
            log_input=self.log_input,
            full=self.full,
            eps=self.eps,
            reduction=self.reduction,
        )


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with predicted variance:
    ℓₙ = ½ (ln max(varₙ, eps) + (xₙ - yₙ)² / max(varₙ, eps)) (+ ½ ln 2π if ``full``).

    Shape: input and target (N, *); var the same, or one dimension of size 1 (or the last one
    missing) for a variance shared along it."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        return F.gaussian_nll_loss(
            input, target, var, full=self.full, eps=self.eps, reduction=self.reduction
        )


class TripletMarginLoss(_Loss):
    """ℓₙ = max(0, margin + d(aₙ, pₙ) - d(aₙ, nₙ)), d the p-norm pairwise distance; ``swap``
    takes min(d(a, n), d(p, n)) as the negative distance."""

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        if margin <= 0:
            raise ValueError(
                f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead"
            )
        super().__init__(size_average, reduce, reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(
            anchor,
            positive,
            negative,
            margin=self.margin,
            p=self.p,
            eps=self.eps,
            swap=self.swap,
            reduction=self.reduction,
        )
