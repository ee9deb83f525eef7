"""``torch.nn.modules.normalization``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.normalization import GroupNorm, LayerNorm, LocalResponseNorm, RMSNorm

__all__ = ["GroupNorm", "LayerNorm", "LocalResponseNorm", "RMSNorm"]
