"""Datasets: indexable collections of samples, as ``torch.utils.data``.

A map-style dataset has ``__getitem__(i)`` and ``__len__``. ``TensorDataset`` also
answers a whole batch of indices at once (``_fetch_batch``), which the DataLoader
uses instead of fetching and collating sample by sample. Subsets, concatenations
(``a + b``), chains of streams (ChainDataset) and datasets stacked index by index
(StackDataset) are datasets too.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Sequence

import numpy as np

from nerve import random as _random
from nerve.tensor import Tensor


class _SizeError(ValueError, AssertionError):
    """PyTorch asserts here (AssertionError); a ValueError is what the input deserves."""


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__`` (no indexing, no shuffling)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the i-th rows of tensors that share their first dimension.

    ``dataset[i]`` is ``tuple(t[i] for t in tensors)``.
    """

    def __init__(self, *tensors: Tensor) -> None:
        tensors = tuple(_as_tensor(t) for t in tensors)
        if tensors and any(t.ndim == 0 for t in tensors):
            raise _SizeError(
                "TensorDataset: every tensor needs a first (sample) dimension, "
                f"got shapes {[tuple(t.shape) for t in tensors]}"
            )
        if tensors and any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise _SizeError(
                "Size mismatch between tensors: TensorDataset expects the same "
                f"first dimension, got shapes {[tuple(t.shape) for t in tensors]}"
            )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0] if self.tensors else 0

    def _fetch_batch(self, indices: np.ndarray) -> list | None:
        """A whole batch by one fancy index per tensor (what collating the samples gives)."""
        return [
            t[indices] if t.requires_grad else Tensor._wrap(t._data[indices]) for t in self.tensors
        ]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list) -> list:
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)

    def _fetch_batch(self, indices: np.ndarray) -> list | None:
        fetch = getattr(self.dataset, "_fetch_batch", None)
        if fetch is None:
            return None
        return fetch(np.asarray(self.indices)[indices])


class ConcatDataset(Dataset):
    """Several datasets one after the other."""

    def __init__(self, datasets) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise _SizeError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError(
                    f"ConcatDataset: absolute value of index {idx} should not "
                    f"exceed dataset length {n}"
                )
            idx += n
        if idx >= n:
            raise IndexError(f"ConcatDataset: index {idx} is out of range for length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


def random_split(
    dataset: Dataset, lengths: Sequence[int | float], generator: _random.Generator | None = None
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping Subsets of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1;
    fractions are floored and the leftover samples go one each to the first splits,
    as PyTorch does. The permutation comes from ``generator`` (the global one if None).
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _fractions_to_counts(lengths, n)
    if any(not float(k).is_integer() or k < 0 for k in lengths):
        raise ValueError(
            f"random_split: lengths must be non-negative integers or fractions "
            f"summing to 1, got {lengths}"
        )
    lengths = [int(k) for k in lengths]
    if sum(lengths) != n:
        raise ValueError(
            "random_split: Sum of input lengths does not equal the length of the "
            f"input dataset! ({sum(lengths)} vs {n})"
        )
    perm = _random.rng(generator).permutation(n).tolist()
    splits, start = [], 0
    for k in lengths:
        splits.append(Subset(dataset, perm[start : start + k]))
        start += k
    return splits


def _fractions_to_counts(fractions: list, n: int) -> list[int]:
    for i, frac in enumerate(fractions):
        if not 0 <= frac <= 1:
            raise ValueError(
                f"random_split: fraction at index {i} is not between 0 and 1, got {frac}"
            )
    counts = [int(math.floor(n * frac)) for frac in fractions]
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    for i, k in enumerate(counts):
        if k == 0:
            warnings.warn(
                f"random_split: length of split at index {i} is 0; this split will be empty",
                stacklevel=3,
            )
    return counts


def _as_tensor(t) -> Tensor:
    if isinstance(t, Tensor):
        return t
    if isinstance(t, np.ndarray):
        return Tensor._wrap(t)
    raise TypeError(f"TensorDataset expects Tensors (or NumPy arrays), got {type(t).__name__}")


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
        raise _NotIterableError(
            f"ChainDataset only supports IterableDataset, got {type(d).__name__}"
        )


class StackDataset(Dataset):
    """Samples assembled from several datasets of equal length, index by index.

    ``StackDataset(a, b)[i] == (a[i], b[i])``;
    ``StackDataset(x=a, y=b)[i] == {"x": a[i], "y": b[i]}``.
    """

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or``dict``- (via "
                "``kwargs``) like input/output, but both types are given."
            )
        parts = list(args) or list(kwargs.values())
        if not parts:
            raise ValueError("At least one dataset should be passed")
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ValueError(
                "Size mismatch between datasets: StackDataset expects equal "
                f"lengths, got {[len(d) for d in parts]}"
            )
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
            raise ValueError(
                "Nested dataset's output size mismatch. Expected "
                f"{len(indices)}, got {len(samples)}"
            )
        return samples
    return [dataset[i] for i in indices]
