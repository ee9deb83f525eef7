"""Channel shuffle (ShuffleNet): split C channels into g groups and interleave them, so that
the next grouped convolution sees channels from every group. A reshape, a transpose and a
reshape; the gradient is the inverse permutation, which autograd derives."""

from __future__ import annotations


def channel_shuffle(input, groups: int):
    """(N, C, *) -> (N, C, *) with channel i·(C/g) + j moved to j·g + i."""
    if input.ndim <= 2:
        raise RuntimeError(
            f"channel_shuffle expects input with > 2 dims, but got input with "
            f"sizes {list(input.shape)}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups."
        )
    # (N, C, *) -> (N, g, C/g, *) -> (N, C/g, g, *) -> (N, C, *)
    y = input.reshape(n, groups, c // groups, *rest).transpose(1, 2)
    return y.reshape(n, c, *rest)


native_channel_shuffle = channel_shuffle
