"""``torch.nn.modules.conv``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from nerve.nn.lazy import LazyConv1d, LazyConv2d

__all__ = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "LazyConv1d",
    "LazyConv2d",
]
