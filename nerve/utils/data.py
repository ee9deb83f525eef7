"""``torch.utils.data`` under its PyTorch name: the same objects as :mod:`nerve.data`.

PyTorch code that does ``from torch.utils.data import DataLoader, TensorDataset`` ports
by changing ``torch`` to ``nerve``. The DataLoader always loads in the calling process:
``num_workers`` is accepted and ignored, so ``get_worker_info()`` is always None.
"""

from nerve.data import (
                        BatchSampler,
                        ChainDataset,
                        ConcatDataset,
                        DataLoader,
                        Dataset,
                        IterableDataset,
                        RandomSampler,
                        Sampler,
                        SequentialSampler,
                        StackDataset,
                        Subset,
                        SubsetRandomSampler,
                        TensorDataset,
                        WeightedRandomSampler,
                        default_collate,
                        default_convert,
                        get_worker_info,
                        random_split,
)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset",
           "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler",
           "default_collate", "default_convert", "get_worker_info", "random_split"]
