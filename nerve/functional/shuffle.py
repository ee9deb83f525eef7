"""Shuffles of channels and pixels, composites of reshape and permute/transpose, so that
their gradients are the inverse rearrangement (which autograd derives):

- sub-pixel rearrangements (Shi et al. 2016): channels traded for resolution and back;
- channel shuffle (ShuffleNet): split C channels into g groups and interleave them, so that
  the next grouped convolution sees channels from every group.
"""

from __future__ import annotations

from nerve.ops.shape.rearrange import permute, reshape

__all__ = ["channel_shuffle", "native_channel_shuffle", "pixel_shuffle", "pixel_unshuffle"]


def _check(op: str, input, factor, name: str) -> int:
    if isinstance(factor, bool) or not isinstance(factor, int):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(factor).__name__}")
    if factor < 1:
        raise RuntimeError(f"{op} expects a positive {name}, but got {factor}")
    if input.ndim < 3:
        raise RuntimeError(
            f"{op} expects input to have at least 3 dimensions, but got input "
            f"with {input.ndim} dimension(s)"
        )
    return factor


def pixel_shuffle(input, upscale_factor: int):
    """(*, C·r², H, W) -> (*, C, H·r, W·r):
    y[…, c, h·r + i, w·r + j] = x[…, c·r² + i·r + j, h, w]."""
    r = _check("pixel_shuffle", input, upscale_factor, "upscale_factor")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be "
            f"divisible by the square of upscale_factor, but input.size(-3)={c} "
            f"is not divisible by {r * r}"
        )
    k = len(lead)
    # (*, C, r, r, H, W) -> (*, C, H, r, W, r)
    x = reshape(input, (*lead, c // (r * r), r, r, h, w))
    x = permute(x, (*range(k), k, k + 3, k + 1, k + 4, k + 2))
    return reshape(x, (*lead, c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor: int):
    """(*, C, H·r, W·r) -> (*, C·r², H, W), the inverse of pixel_shuffle."""
    r = _check("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    *lead, c, h, w = input.shape
    for name, dim, n in (("height", -2, h), ("width", -1, w)):
        if n % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {name} to be divisible by "
                f"downscale_factor, but input.size({dim})={n} is not divisible "
                f"by {r}"
            )
    k = len(lead)
    # (*, C, H, r, W, r) -> (*, C, r, r, H, W)
    x = reshape(input, (*lead, c, h // r, r, w // r, r))
    x = permute(x, (*range(k), k, k + 2, k + 4, k + 1, k + 3))
    return reshape(x, (*lead, c * r * r, h // r, w // r))


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
