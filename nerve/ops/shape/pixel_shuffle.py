"""Sub-pixel rearrangements (Shi et al. 2016): channels traded for resolution and back.
Composites of reshape and permute, so their gradients are the inverse rearrangement."""

from __future__ import annotations

from nerve.ops.shape.rearrange import permute, reshape


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
