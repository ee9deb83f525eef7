"""``torch.utils.data.dataset``: the same objects as :mod:`nerve.data`."""

from nerve.data.dataset import (
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from nerve.data.dataset_more import ChainDataset, StackDataset

__all__ = ["ChainDataset", "ConcatDataset", "Dataset", "IterableDataset", "StackDataset",
           "Subset", "TensorDataset", "random_split"]
