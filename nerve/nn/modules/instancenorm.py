"""``torch.nn.modules.instancenorm``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.normalization import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]
