"""GEMMs alone: the GFLOP/s of numpy and torch at the MLP's sizes (``gflops``), and
``python -m benchmarks.gemm --threads``: every workload's GEMM shapes on 1 and on all
OpenBLAS threads, quiet and beside two busy processes, with the cost of switching the
thread count per call (the measurements behind nerve/backend/threads.py's rule)."""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from benchmarks import floor, load
from benchmarks.runner import round_times, time_call

SHAPES = [(128, 784, 512), (128, 512, 512), (512, 512, 512), (1024, 1024, 1024)]


def gflops(repeats: int = 5) -> list:
    import torch

    rows = []
    for m, k, n in SHAPES:
        rng = np.random.default_rng(0)
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        flop = 2 * m * k * n
        rows.append(
            (
                (m, k, n),
                flop / time_call(lambda a=a, b=b: a @ b, repeats) / 1e9,
                flop / time_call(lambda ta=ta, tb=tb: ta @ tb, repeats) / 1e9,
            )
        )
    return rows


def workload_shapes() -> list:
    """The distinct (m, k, n) of every workload's floor, smallest product first."""
    shapes = {(m, k, n) for gemms in floor.GEMMS.values() for m, k, n, _ in gemms}
    return sorted(shapes, key=lambda s: s[0] * s[1] * s[2])


def switch_cost(calls: int = 20000) -> dict:
    """Microseconds to set the thread count and back: nerve's direct call, and (when it
    is installed) threadpoolctl's context manager."""
    from nerve.backend import blas

    out = {}
    n = blas.max_threads()
    t0 = time.perf_counter()
    for _ in range(calls):
        blas.put(1)
        blas.put(n)
    out["direct call, set and reset"] = (time.perf_counter() - t0) / calls * 1e6
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return out
    t0 = time.perf_counter()
    for _ in range(100):
        with threadpool_limits(1, user_api="blas"):
            pass
    out["threadpoolctl.threadpool_limits context"] = (time.perf_counter() - t0) / 100 * 1e6
    return out


def thread_table(shapes: list, rounds: int = 5, min_time: float = 0.05) -> list:
    """Rows (shape, median ms on 1 thread, median ms on all threads) in this process; the
    median, not the best, since under load the best round hides the stalls."""
    from nerve.backend import blas

    rng = np.random.default_rng(0)
    rows, before = [], blas.get()
    try:
        for m, k, n in shapes:
            a = rng.standard_normal((m, k)).astype(np.float32)
            b = rng.standard_normal((k, n)).astype(np.float32)
            ms = []
            for threads in (1, blas.max_threads()):
                blas.put(threads)
                times = round_times(lambda a=a, b=b: a @ b, rounds, min_time)
                ms.append(statistics.median(times) * 1e3)
            rows.append(((m, k, n), *ms))
    finally:
        blas.put(before)
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.gemm", description=__doc__)
    p.add_argument(
        "--threads",
        action="store_true",
        help="1 vs all BLAS threads, quiet and loaded (default: GFLOP/s)",
    )
    p.add_argument("--busy", type=int, default=2)
    p.add_argument("--rounds", type=int, default=7)
    args = p.parse_args(argv)
    if not args.threads:
        for shape, gn, gt in gflops(args.rounds):
            print(f"GEMM {shape}: numpy {gn:.0f} GFLOP/s, torch {gt:.0f} GFLOP/s")
        return 0
    from nerve.backend import threads

    threads.set_num_threads(threads.get_num_threads())  # hold BLAS still while measuring
    print(f"# {load.load_line()}")
    for what, us in switch_cost().items():
        print(f"# switching threads, {what}: {us:.1f} µs")
    shapes = workload_shapes()
    quiet = thread_table(shapes, args.rounds)
    with load.busy(args.busy):
        loaded = thread_table(shapes, args.rounds)
    print(f"# {load.load_line()} after; median of {args.rounds} rounds, ms per product")
    print(f"{'m x k x n':>22}  {'quiet 1':>8} {'quiet all':>9}  {'loaded 1':>8} {'loaded all':>10}")
    for (shape, q1, qn), (_, l1, ln) in zip(quiet, loaded):
        print(f"{'x'.join(map(str, shape)):>22}  {q1:8.3f} {qn:9.3f}  {l1:8.3f} {ln:10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
