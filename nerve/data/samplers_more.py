"""WeightedRandomSampler: indices drawn with probabilities proportional to given weights."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nerve import random as _random
from nerve.data.dataloader import Sampler


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in ``[0, len(weights))``, index i with probability
    wᵢ / Σⱼ wⱼ (weights need not sum to 1).

    With ``replacement=False`` every index appears at most once; the draw is sequential
    sampling without replacement, done in one pass by giving each index the key
    Eᵢ / wᵢ with Eᵢ ~ Exp(1) and taking the ``num_samples`` smallest keys (the same
    distribution as drawing one at a time and renormalising). Indices of weight 0 come
    last, in random order, as in PyTorch.
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: _random.Generator | None = None) -> None:
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, "
                             f"but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        w = np.asarray(getattr(weights, "_data", weights), dtype=np.float64)
        if w.ndim != 1:
            raise ValueError("weights should be a 1d sequence but given weights have shape "
                             f"{tuple(w.shape)}")
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
                raise RuntimeError("invalid multinomial distribution (encountering "
                                   "probability entry < 0)")
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if np.any(w < 0):
            raise RuntimeError("invalid multinomial distribution (encountering probability "
                               "entry < 0)")
        rng = _random.rng(self.generator)
        if self.replacement:
            cdf = np.cumsum(w)
            picks = np.searchsorted(cdf, rng.random(k) * cdf[-1], side="right")
            return np.minimum(picks, w.size - 1)
        if k > w.size:
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                               "replacement")
        with np.errstate(divide="ignore"):
            keys = rng.exponential(size=w.size) / w  # weight 0: key +inf
        tiebreak = rng.random(w.size)
        return np.lexsort((tiebreak, keys))[:k]
