"""nerve.nn.parallel: data-parallel training over the ranks of nerve.distributed (MPI)."""

from nerve.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
