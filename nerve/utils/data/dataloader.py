"""``torch.utils.data.dataloader``: the same objects as :mod:`nerve.data` (torch's module
also holds the dataset and sampler classes the loader uses, so code importing them from
here finds them)."""

from nerve.data.dataloader import DataLoader, default_collate, default_convert
from nerve.data.dataset import Dataset, IterableDataset
from nerve.data.samplers import BatchSampler, RandomSampler, Sampler, SequentialSampler
from nerve.data.worker import get_worker_info

__all__ = [
    "BatchSampler",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
]
