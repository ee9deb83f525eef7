"""Datasets, samplers, the DataLoader and transforms (``torch.utils.data`` in PyTorch)."""

from nerve.data import datasets, sequences, transforms
from nerve.data.dataloader import DataLoader, default_collate, default_convert
from nerve.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from nerve.data.distributed import DistributedSampler
from nerve.data.samplers import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from nerve.data.sequences import EmbeddedReber, embedded_reber
from nerve.data.worker import get_worker_info

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "datasets",
    "default_collate",
    "default_convert",
    "random_split",
    "transforms",
]
__all__ += ["EmbeddedReber", "embedded_reber", "sequences"]
__all__ += ["ChainDataset", "StackDataset", "WeightedRandomSampler", "get_worker_info"]
__all__ += ["DistributedSampler"]
