"""``torch.nn.modules.pixelshuffle``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.pixelshuffle import PixelShuffle, PixelUnshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle"]
