"""DistributedSampler: each rank of a data-parallel job reads its own shard of the data.

As ``torch.utils.data.distributed.DistributedSampler``: the epoch's order (shuffled
from ``seed + epoch``, the same on every rank) is padded by repeating its first indices
up to a multiple of ``num_replicas`` (or cut down to one, with ``drop_last``), and rank
r takes every ``num_replicas``-th index from position r:

    num_samples = ⌈len / N⌉               (drop_last: ⌈(len - N) / N⌉ when N ∤ len)
    shard(r)    = order[r : N * num_samples : N]

The shards are disjoint (up to the padding) and together cover the data. The shuffled
order itself is drawn by nerve's generator, so it differs from torch's for the same seed.
"""

from __future__ import annotations

import math

import numpy as np

from nerve import random as _random
from nerve.data.samplers import Sampler


class DistributedSampler(Sampler):
    """Indices of ``dataset`` for replica ``rank`` of ``num_replicas`` (by default the
    default process group's rank and world size). Call ``set_epoch(epoch)`` before each
    epoch so that the shuffled order changes from epoch to epoch."""

    def __init__(
        self,
        dataset,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from nerve import distributed as dist

            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def _indices(self) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            g = _random.Generator().manual_seed(self.seed + self.epoch)
            order = g.rng.permutation(n).astype(np.int64)
        else:
            order = np.arange(n, dtype=np.int64)
        if self.drop_last:
            order = order[: self.total_size]
        elif self.total_size > n and n:
            order = np.resize(order, self.total_size)  # repeats from the start: torch's padding
        return order[self.rank : self.total_size : self.num_replicas]

    def __iter__(self):
        return iter(self._indices().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """The epoch number seeds the shuffle (with ``seed``): same on every rank."""
        self.epoch = epoch
