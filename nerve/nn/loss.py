"""Loss layers: each holds its options (and class weights as buffers) and calls the
functional loss. Names, arguments, defaults and buffers follow PyTorch's."""

from __future__ import annotations

import warnings

from nerve import functional as F
from nerve.nn.module import Module
from nerve.tensor import Tensor


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's deprecated size_average/reduce pair, when given, decides the reduction."""
    if size_average is None and reduce is None:
        return reduction
    avg = size_average is None or size_average
    reduction = ("mean" if avg else "sum") if reduce is None or reduce else "none"
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", stacklevel=3)
    return reduction


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _legacy_reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: ℓₙ = (xₙ - yₙ)², reduced by ``reduction``.

    Shape: input (*), target (*) of the same shape; output () or (*) for 'none'.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: ℓₙ = |xₙ - yₙ|, reduced by ``reduction``."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """ℓₙ = 0.5 dₙ² / beta where |dₙ| < beta, else |dₙ| - 0.5 beta  (dₙ = xₙ - yₙ)."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """ℓₙ = 0.5 dₙ² where |dₙ| < delta, else delta (|dₙ| - 0.5 delta)  (dₙ = xₙ - yₙ)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss: ℓₙ = ln(1 + exp(-yₙ xₙ)), targets yₙ ∈ {1, -1}."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class KLDivLoss(_Loss):
    """ℓₙ = yₙ (ln yₙ - xₙ) with the input x given as log-probabilities (and the target y as
    log-probabilities too when ``log_target``). Use reduction='batchmean' for the true KL."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities: ℓₙ = -wₙ [yₙ ln xₙ + (1 - yₙ) ln(1 - xₙ)],
    the logs clamped at -100. The buffer ``weight`` rescales each element (broadcast)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid and binary cross-entropy in one stable step:
    ℓₙ = -wₙ [p yₙ ln σ(xₙ) + (1 - yₙ) ln(1 - σ(xₙ))] with p = ``pos_weight`` (per class,
    broadcast along the last dimension). ``weight`` and ``pos_weight`` are buffers."""

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean", pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices: ℓₙ = -w_{yₙ} x_{n, yₙ} on log-probabilities.

    Shape: input (N, C) or (C,) or (N, C, d1, ...), target (N,) or () or (N, d1, ...) of
    class indices in [0, C) or ``ignore_index``. 'mean' divides by the sum of the weights
    of the targets that are not ignored.
    """

    def __init__(self, weight: Tensor | None = None, size_average=None,
                 ignore_index: int = -100, reduce=None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits: log-softmax over dim 1 and NLL in one stable node.

    The target holds class indices (shapes as in NLLLoss) or class probabilities (the
    input's shape). ``label_smoothing`` ε mixes the target with the uniform distribution:
    (1 - ε) target + ε/C. ``weight`` (C,) rescales each class.
    """

    def __init__(self, weight: Tensor | None = None, size_average=None,
                 ignore_index: int = -100, reduce=None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.cross_entropy(input, target, weight=self.weight,
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)
