"""ChainDataset and StackDataset, and get_worker_info (as ``torch.utils.data``)."""

from __future__ import annotations

from nerve.data.dataset import Dataset, IterableDataset


class _NotIterableError(TypeError, AssertionError):
    """PyTorch asserts here (AssertionError); a TypeError is what the input deserves."""


class ChainDataset(IterableDataset):
    """Several IterableDatasets one after the other, chained lazily at iteration time."""

    def __init__(self, datasets) -> None:
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            _need_iterable(d)
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            _need_iterable(d)
            total += len(d)
        return total


def _need_iterable(d) -> None:
    if not isinstance(d, IterableDataset):
        raise _NotIterableError("ChainDataset only supports IterableDataset, got "
                                f"{type(d).__name__}")


class StackDataset(Dataset):
    """Samples assembled from several datasets of equal length, index by index.

    ``StackDataset(a, b)[i] == (a[i], b[i])``;
    ``StackDataset(x=a, y=b)[i] == {"x": a[i], "y": b[i]}``.
    """

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via "
                             "``kwargs``) like input/output, but both types are given.")
        parts = list(args) or list(kwargs.values())
        if not parts:
            raise ValueError("At least one dataset should be passed")
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ValueError("Size mismatch between datasets: StackDataset expects equal "
                             f"lengths, got {[len(d) for d in parts]}")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list) -> list:
        if isinstance(self.datasets, dict):
            cols = {k: _column(d, indices) for k, d in self.datasets.items()}
            return [{k: c[i] for k, c in cols.items()} for i in range(len(indices))]
        cols = [_column(d, indices) for d in self.datasets]
        return [tuple(c[i] for c in cols) for i in range(len(indices))]

    def __len__(self) -> int:
        return self._length


def _column(dataset, indices: list) -> list:
    many = getattr(dataset, "__getitems__", None)
    if many is not None:
        samples = many(indices)
        if len(samples) != len(indices):
            raise ValueError("Nested dataset's output size mismatch. Expected "
                             f"{len(indices)}, got {len(samples)}")
        return samples
    return [dataset[i] for i in indices]


def get_worker_info():
    """Information about the current DataLoader worker process, or None in the main
    process. nerve loads every batch in the calling process (``num_workers`` is accepted
    and ignored), so this is always None: an IterableDataset that splits its stream by
    worker id sees a single worker and yields the whole stream once."""
    return None
