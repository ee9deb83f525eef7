"""Memory-bound NumPy passes split over the cores.

BLAS threads its GEMMs by itself, but every other NumPy pass (a ReLU, a pooling
comparison, an im2col copy) runs on one core. NumPy releases the GIL inside its loops,
so independent chunks of a large array (samples of a batch) run in parallel from a few
Python threads. Used by the conv, pooling, activation and normalization ops on their
large arrays; small ones run whole, since a hand-off costs tens of microseconds.

Threads: NERVE_NUM_THREADS, else OMP_NUM_THREADS (what BLAS uses too), else the CPU
count; at most MAX_THREADS, since memory bandwidth, not cores, bounds these passes.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_HOST = np.ndarray
MIN_BYTES = 1 << 20  # below this a pass takes about as long as handing it to a thread
MAX_THREADS = 8
_state = {"pool": None, "threads": None}
_busy = threading.Lock()


def num_threads() -> int:
    if _state["threads"] is None:
        env = os.environ.get("NERVE_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
        try:
            n = int(env) if env else (os.cpu_count() or 1)
        except ValueError:
            n = 1
        _state["threads"] = max(1, min(n, os.cpu_count() or 1, MAX_THREADS))
    return _state["threads"]


def over_batch(run, n: int, nbytes: int, like=None) -> None:
    """run(lo, hi) over [0, n) in one contiguous chunk per thread when the pass touches
    at least MIN_BYTES; else (or when called from inside a split) in one call. With
    ``like`` a device array (not NumPy's), always one call: the device runs its kernels
    in parallel itself, and host threads would only serialise on its stream."""
    k = num_threads()
    if (
        k < 2
        or n < 2
        or nbytes < MIN_BYTES
        or (like is not None and type(like) is not _HOST)
        or not _busy.acquire(blocking=False)
    ):
        run(0, n)
        return
    try:
        if _state["pool"] is None:
            _state["pool"] = ThreadPoolExecutor(k - 1, thread_name_prefix="nerve-split")
        k = min(k, n)
        bounds = [n * i // k for i in range(k + 1)]
        futures = [_state["pool"].submit(run, lo, hi) for lo, hi in zip(bounds[1:-1], bounds[2:])]
        try:
            run(bounds[0], bounds[1])
        finally:
            for f in futures:
                f.result()
    finally:
        _busy.release()
