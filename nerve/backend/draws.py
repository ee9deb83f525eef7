"""Random draws for an op on any device: drawn on the host from nerve's generator
(``nerve.random.rng``), then moved to the device of the array they go with.

Drawing on the host keeps a CUDA run drawing exactly the numbers a CPU run draws
(same seed, same dropout masks, same initial weights), which is what the training
parity tests check; the copy is one transfer of the mask per op.
"""

from __future__ import annotations

import numpy as np

from nerve.backend.namespaces import MODULES, device_of, to_device


def _on(host: np.ndarray, like):
    if type(like) is np.ndarray or type(like) not in MODULES:
        return host
    return to_device(host, device_of(like))


def uniform(rng: np.random.Generator, shape: tuple, dtype, like):
    """U[0, 1) of ``shape`` and ``dtype`` on ``like``'s device (drawn in float64 first,
    as nerve.rand does, so float32 and float64 runs see the same numbers)."""
    return _on(rng.random(shape, dtype=np.float64).astype(dtype, copy=False), like)


def normal(rng: np.random.Generator, shape: tuple, dtype, like):
    """Standard normal draws of ``shape`` and ``dtype`` on ``like``'s device."""
    return _on(rng.standard_normal(shape).astype(dtype, copy=False), like)


def bernoulli_mask(rng: np.random.Generator, shape: tuple, keep: float, dtype, like):
    """1 with probability ``keep`` else 0, as ``dtype``, on ``like``'s device: the
    dropout mask (``u < keep`` for u ~ U[0, 1))."""
    return _on((rng.random(shape) < keep).astype(dtype), like)
