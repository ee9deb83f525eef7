"""Samplers: which dataset indices a DataLoader visits, in which order.

Sequential, random (a permutation per epoch, or draws with replacement), a random order
of a given subset, indices drawn with given weights, and the batch sampler that groups
any of them into mini-batches. Random ones draw from the given ``generator`` or the
global one, so ``nerve.manual_seed`` makes the order reproducible. DistributedSampler
(one shard per process) is in nerve/data/distributed.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from nerve import random as _random


class Sampler:
    """Yields dataset indices; subclasses define ``__iter__`` and ``__len__``."""

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)

    def _indices(self) -> np.ndarray:
        return np.arange(len(self.data_source))


class RandomSampler(Sampler):
    """A fresh random order at each iteration (with ``replacement``: draws with repeats).

    The indices are drawn lazily, as PyTorch's are: with replacement in chunks of
    ``CHUNK`` draws, without it one permutation of the dataset at a time, so
    ``num_samples=int(1e10)`` costs memory for one chunk, not for 10¹⁰ indices.
    """

    CHUNK = 1 << 16

    def __init__(
        self,
        data_source,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: _random.Generator | None = None,
    ) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got {replacement!r}")
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        for chunk in self._chunks():
            yield from chunk.tolist()

    def __len__(self) -> int:
        return self.num_samples

    def _chunks(self):
        """The epoch's indices as a sequence of int64 arrays, drawn as they are needed."""
        rng, n, k = _random.rng(self.generator), len(self.data_source), self.num_samples
        if self.replacement:
            for start in range(0, k, self.CHUNK):
                yield rng.integers(0, n, size=min(self.CHUNK, k - start))
        elif n:
            for start in range(0, k, n):
                yield rng.permutation(n)[: k - start].astype(np.int64)

    def _indices(self) -> np.ndarray:
        return np.concatenate([*self._chunks(), np.zeros(0, np.int64)])


class SubsetRandomSampler(Sampler):
    """The given indices in a random order."""

    def __init__(self, indices, generator: _random.Generator | None = None) -> None:
        self.indices, self.generator = indices, generator

    def __iter__(self):
        return iter(self._indices().tolist())

    def __len__(self) -> int:
        return len(self.indices)

    def _indices(self) -> np.ndarray:
        order = _random.rng(self.generator).permutation(len(self.indices))
        return np.asarray(self.indices)[order]


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``."""

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        for batch in self._batches():
            yield batch.tolist()

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _batches(self):
        """Index arrays, cut from the sampler's chunks (or its whole epoch) as they come;
        any other sampler is read a few thousand indices at a time."""
        if hasattr(self.sampler, "_chunks"):
            chunks = self.sampler._chunks()
        elif hasattr(self.sampler, "_indices"):
            chunks = iter([self.sampler._indices()])
        else:
            chunks = _in_chunks(self.sampler)
        size, left = self.batch_size, np.zeros(0, np.int64)
        for chunk in chunks:
            order = np.concatenate([left, chunk]) if len(left) else chunk
            full = len(order) - len(order) % size
            for start in range(0, full, size):
                yield order[start : start + size]
            left = order[full:]
        if len(left) and not self.drop_last:
            yield left


def _in_chunks(sampler, size: int = 4096):
    """A plain sampler's indices as int64 arrays of ``size`` (the last one shorter)."""
    it = iter(sampler)
    while (chunk := np.fromiter(itertools.islice(it, size), dtype=np.int64)).size:
        yield chunk


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in ``[0, len(weights))``, index i with probability
    wᵢ / Σⱼ wⱼ (weights need not sum to 1).

    With ``replacement=False`` every index appears at most once; the draw is sequential
    sampling without replacement, done in one pass by giving each index the key
    Eᵢ / wᵢ with Eᵢ ~ Exp(1) and taking the ``num_samples`` smallest keys (the same
    distribution as drawing one at a time and renormalising). Indices of weight 0 come
    last, in random order, as in PyTorch.
    """

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: _random.Generator | None = None,
    ) -> None:
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        w = np.asarray(getattr(weights, "_data", weights), dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}"
            )
        from nerve.tensor import Tensor

        self.weights = Tensor._wrap(w)
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator

    def __iter__(self):
        return iter(self._indices().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def _indices(self) -> np.ndarray:
        w, k = self.weights._data, self.num_samples
        if w.size == 0 or not np.all(np.isfinite(w)) or w.sum() <= 0:
            if np.any(w < 0):
                raise RuntimeError(
                    "invalid multinomial distribution (encountering probability entry < 0)"
                )
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if np.any(w < 0):
            raise RuntimeError(
                "invalid multinomial distribution (encountering probability entry < 0)"
            )
        rng = _random.rng(self.generator)
        if self.replacement:
            cdf = np.cumsum(w)
            picks = np.searchsorted(cdf, rng.random(k) * cdf[-1], side="right")
            return np.minimum(picks, w.size - 1)
        if k > w.size:
            raise RuntimeError(
                "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
            )
        with np.errstate(divide="ignore"):
            keys = rng.exponential(size=w.size) / w  # weight 0: key +inf
        tiebreak = rng.random(w.size)
        return np.lexsort((tiebreak, keys))[:k]
