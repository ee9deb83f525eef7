"""``torch.nn.modules.linear``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.attention import NonDynamicallyQuantizableLinear
from nerve.nn.bilinear import Bilinear
from nerve.nn.lazy import LazyLinear
from nerve.nn.linear import Identity, Linear

__all__ = ["Bilinear", "Identity", "LazyLinear", "Linear", "NonDynamicallyQuantizableLinear"]
