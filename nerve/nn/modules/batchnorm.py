"""``torch.nn.modules.batchnorm``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.lazy import LazyBatchNorm1d, LazyBatchNorm2d
from nerve.nn.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d
from nerve.nn.parallel.sync_batchnorm import SyncBatchNorm

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "SyncBatchNorm",
]
