"""DataLoader: mini-batches from a dataset (its samplers in samplers.py), and the default
collate.

Shuffling draws one permutation per epoch from the given ``generator`` or from the
global one, so ``nerve.manual_seed`` makes the order reproducible. When the dataset
can fetch a whole batch at once (a TensorDataset, or a Subset of one) and the
default collate is in use, a batch is one fancy index per tensor: no per-sample
Python work, which is what keeps small-model training fast.
"""

from __future__ import annotations

import collections.abc as abc

import numpy as np

from nerve import random as _random
from nerve.data.dataset import IterableDataset
from nerve.data.samplers import BatchSampler, RandomSampler, SequentialSampler
from nerve.tensor import Tensor


class DataLoader:
    """Iterates over ``dataset`` in mini-batches, as ``torch.utils.data.DataLoader``.

    ``num_workers`` and ``pin_memory`` are accepted so PyTorch code ports unchanged;
    loading always runs in the calling process.
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        generator: _random.Generator | None = None,
        **_ignored,
    ) -> None:
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.num_workers, self.pin_memory, self.generator = num_workers, pin_memory, generator
        self._iterable = isinstance(dataset, IterableDataset)
        _check_options(self._iterable, shuffle, sampler, batch_sampler, batch_size, drop_last)
        if batch_sampler is not None:
            self.batch_size, self.drop_last = None, False
        elif self._iterable:
            sampler = None
        elif sampler is None:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_sampler is None and batch_size is not None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self._auto_collation = batch_sampler is not None or bool(self._iterable and batch_size)
        self.collate_fn = (
            collate_fn
            if collate_fn is not None
            else (default_collate if self._auto_collation else default_convert)
        )
        self._fast = collate_fn is None and hasattr(dataset, "_fetch_batch")

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if not self.batch_size:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self):
        if self._iterable:
            return self._iter_stream()
        if self.batch_sampler is None:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        return self._iter_batches()

    def _iter_batches(self):
        batches = (
            self.batch_sampler._batches()
            if hasattr(self.batch_sampler, "_batches")
            else (np.asarray(b, dtype=np.int64) for b in self.batch_sampler)
        )
        for idx in batches:
            batch = self.dataset._fetch_batch(idx) if self._fast else None
            if batch is None:
                batch = self.collate_fn(_fetch(self.dataset, idx.tolist()))
            yield batch

    def _iter_stream(self):
        if not self.batch_size:
            yield from (self.collate_fn(s) for s in self.dataset)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)


def _fetch(dataset, indices: list) -> list:
    many = getattr(dataset, "__getitems__", None)
    return many(indices) if many is not None else [dataset[i] for i in indices]


def _check_options(iterable, shuffle, sampler, batch_sampler, batch_size, drop_last) -> None:
    if iterable and (shuffle or sampler is not None or batch_sampler is not None):
        raise ValueError(
            "DataLoader with IterableDataset: expected unspecified shuffle, "
            f"sampler and batch_sampler options, got shuffle={shuffle}"
        )
    if sampler is not None and shuffle:
        raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None and (
        batch_size != 1 or shuffle or sampler is not None or drop_last
    ):
        raise ValueError(
            "DataLoader: batch_sampler option is mutually exclusive with "
            "batch_size, shuffle, sampler, and drop_last"
        )
    if batch_size is None and drop_last:
        raise ValueError(
            "DataLoader: batch_size=None option disables auto-batching and is "
            "mutually exclusive with drop_last"
        )


def default_collate(batch):
    """Stack a list of samples into a batch, recursing into tuples, lists and dicts.

    Tensors and NumPy arrays are stacked along a new first dimension (arrays keep
    their dtype); Python ints become int64, floats float64 and bools bool, as in
    PyTorch; strings stay a list. A tuple of fields comes back as a list.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, np.ndarray | np.generic):
        if elem.dtype.kind in "OSUV":
            raise TypeError(
                f"default_collate: batch must contain tensors, numpy arrays, "
                f"numbers, dicts or lists; found numpy array of dtype {elem.dtype}"
            )
        return Tensor._wrap(np.stack([np.asarray(b) for b in batch]))
    if isinstance(elem, bool | int | float):
        kind = (
            np.bool_
            if isinstance(elem, bool)
            else np.int64
            if isinstance(elem, int)
            else np.float64
        )
        return Tensor._wrap(np.asarray(batch, dtype=kind))
    if isinstance(elem, str | bytes):
        return batch
    if isinstance(elem, abc.Mapping):
        return _rebuild(elem, {k: default_collate([d[k] for d in batch]) for k in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        if any(len(s) != len(elem) for s in batch):
            raise RuntimeError(
                "default_collate: each element in list of batch should be of "
                f"equal size, got lengths {[len(s) for s in batch]}"
            )
        fields = [default_collate(list(s)) for s in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuild(elem, fields)
    raise TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, "
        f"dicts or lists; found {type(elem).__name__}"
    )


def default_convert(data):
    """Turn NumPy arrays (also inside tuples, lists, dicts) into Tensors; no batching."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OSUV":
        return Tensor._wrap(data)
    if isinstance(data, abc.Mapping):
        return _rebuild(data, {k: default_convert(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, list):
        return _rebuild(data, [default_convert(d) for d in data])
    return data


def _stack(batch: list) -> Tensor:
    shapes = {tuple(t.shape) for t in batch}
    if len(shapes) > 1:
        raise RuntimeError(
            f"default_collate: stack expects each tensor to be equal size, "
            f"but got shapes {sorted(shapes)}"
        )
    if any(t.requires_grad for t in batch):
        from nerve.ops.shape.rearrange import stack

        return stack(batch)
    return Tensor._wrap(np.stack([t._data for t in batch]))


def _rebuild(like, content):
    """The container type of ``like`` around ``content``, or a plain dict/list if that fails."""
    try:
        return type(like)(content)
    except TypeError:
        return content
