"""Upsampling layers: nearest neighbour (each output pixel copies its nearest input pixel)
and (bi)linear interpolation between the neighbouring input pixels."""

from __future__ import annotations

from nerve import functional as F
from nerve.nn.module import Module
from nerve.tensor import Tensor


class Upsample(Module):
    """Resize (N, C, L) or (N, C, H, W) to ``size`` or by ``scale_factor`` (one of the two).
    mode 'nearest': y[i] = x[min(⌊i · in/out⌋, in - 1)] per spatial axis; 'nearest-exact'
    rounds pixel centres, ⌊(i + ½) · in/out⌋; 'linear' (3-D) and 'bilinear' (4-D)
    interpolate between the two nearest inputs (align_corners: the corner pixels' centres
    line up, src = i · (in - 1)/(out - 1)); 'area' averages. See F.interpolate."""

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode: str = "nearest",
        align_corners=None,
        recompute_scale_factor=None,
    ) -> None:
        super().__init__()
        self.name, self.size, self.mode = type(self).__name__, size, mode
        self.scale_factor = (
            float(scale_factor)
            if isinstance(scale_factor, int | float)
            else (tuple(float(s) for s in scale_factor) if scale_factor else None)
        )
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor}, mode='{self.mode}'"
        return f"size={self.size}, mode='{self.mode}'"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of (N, C, H, W); same as Upsample(mode='nearest')."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of (N, C, H, W) with align_corners=True; same as
    Upsample(mode='bilinear', align_corners=True)."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
