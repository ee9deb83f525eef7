"""``torch.nn.modules.upsampling``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]
