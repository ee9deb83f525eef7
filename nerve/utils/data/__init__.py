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

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]

# torch.utils.data's submodules (real programs import them: makemore does
# ``from torch.utils.data.dataloader import DataLoader``); distributed loads on first use
from nerve.utils.data import _utils, dataloader, dataset, sampler  # noqa: E402


def __getattr__(name: str):
    if name in ("DistributedSampler", "distributed"):
        import importlib

        module = importlib.import_module("nerve.utils.data.distributed")
        if name == "distributed":
            return module
        try:
            return module.DistributedSampler
        except ImportError as err:  # hasattr() and getattr(..., default) expect this type
            raise AttributeError(
                f"nerve.utils.data.DistributedSampler is not available: {err}"
            ) from err
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
