"""ChannelShuffle (ShuffleNet): interleave the channels of g groups."""

from __future__ import annotations

from nerve import functional as F
from nerve.nn.module import Module
from nerve.tensor import Tensor


class ChannelShuffle(Module):
    """(N, C, *) -> (N, C, *): channel i·(C/g) + j of the input becomes channel j·g + i."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
