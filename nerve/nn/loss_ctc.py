"""CTCLoss (sequence labelling without alignment) and TripletMarginWithDistanceLoss (a
triplet loss over any distance). Names, arguments and defaults are PyTorch's."""

from __future__ import annotations

from nerve import functional as F
from nerve.nn.distance import PairwiseDistance
from nerve.nn.loss import _Loss
from nerve.tensor import Tensor


class CTCLoss(_Loss):
    """-log p(target | input) summed over all alignments (Graves et al. 2006).

    Shape: log_probs (T, N, C) from log_softmax, targets (N, S) or concatenated (Σ S_n),
    input_lengths (N), target_lengths (N); 'mean' divides each loss by its target length
    before averaging over the batch."""

    def __init__(
        self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False
    ) -> None:
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs: Tensor, targets, input_lengths, target_lengths) -> Tensor:
        return F.ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            self.blank,
            self.reduction,
            self.zero_infinity,
        )


class TripletMarginWithDistanceLoss(_Loss):
    """ℓ = max(0, margin + d(a, p) - d(a, n)) for any distance d (PairwiseDistance by
    default); swap uses min(d(a, n), d(p, n))."""

    def __init__(
        self,
        *,
        distance_function=None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(
                f"TripletMarginWithDistanceLoss: expected margin to be greater "
                f"than 0, got {margin} instead"
            )
        self.distance_function = (
            distance_function if distance_function is not None else PairwiseDistance()
        )
        self.margin, self.swap = margin, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_with_distance_loss(
            anchor,
            positive,
            negative,
            distance_function=self.distance_function,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )
