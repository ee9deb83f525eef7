"""nerve.nn.parallel: data-parallel training over the ranks of nerve.distributed (MPI)."""

from nerve.nn.parallel.distributed import DistributedDataParallel
from nerve.nn.parallel.sync_batchnorm import SyncBatchNorm

__all__ = ["DistributedDataParallel", "SyncBatchNorm"]
