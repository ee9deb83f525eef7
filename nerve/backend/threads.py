"""torch.get_num_threads / set_num_threads: how many threads nerve's memory-bound passes
split over (nerve/backend/parallel.py; BLAS keeps its own setting)."""

from __future__ import annotations

from nerve.backend import parallel


def get_num_threads() -> int:
    """The threads a large elementwise, pooling or im2col pass is split over."""
    return parallel.num_threads()


def set_num_threads(num: int) -> None:
    """Split the passes over ``num`` threads (at most parallel.MAX_THREADS, beyond which
    memory bandwidth, not cores, bounds them; 1 turns the splitting off)."""
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {num!r}")
    with parallel._busy:  # not while a split is running on the old pool
        pool = parallel._state["pool"]
        parallel._state["threads"] = min(num, parallel.MAX_THREADS)
        parallel._state["pool"] = None  # rebuilt with the new size on next use
    if pool is not None:
        pool.shutdown(wait=False)
