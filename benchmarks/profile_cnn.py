"""Where a CNN training step spends its time: ``python -m benchmarks.profile_cnn [NAME...]``.

Times every Function's forward and backward (by wrapping them; one row per class and
shape of its first array argument, i.e. per layer), the whole step, and the
GEMMs of the step alone (the same matrix products, timed by themselves), so the share of
the step outside BLAS can be read off. Medians over several steps, since the machines
are noisy. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict

from benchmarks import cnn, runner  # noqa: F401  (runner pins the thread counts)


def _all_functions():
    from nerve.autograd.function import Function

    seen, todo = [], [Function]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            seen.append(sub)
            todo.append(sub)
    return seen


def _instrument(totals):
    """Wrap forward/backward of every Function subclass to accumulate seconds per name."""
    originals = []
    for cls in _all_functions():
        for meth in ("forward", "backward"):
            if meth not in cls.__dict__:
                continue
            orig = cls.__dict__[meth]

            def timed(self, *a, _orig=orig, _key=f"{cls.__name__}.{meth}", **k):
                t0 = time.perf_counter()
                try:
                    return _orig(self, *a, **k)
                finally:
                    # keyed by the first array's shape too: one row per layer
                    shape = next((tuple(v.shape) for v in a if hasattr(v, "shape")), ())
                    totals[_key, shape].append(time.perf_counter() - t0)

            setattr(cls, meth, timed)
            originals.append((cls, meth, orig))
    return originals


def _restore(originals):
    for cls, meth, orig in originals:
        setattr(cls, meth, orig)


def _conv_gemms(name):
    """(M, K, N) of every GEMM one step of the workload needs (forward, dW, dX)."""
    if name == "cnn_train":
        layers = [(64 * 28 * 28, 9, 32, False), (64 * 14 * 14, 288, 64, True)]
        fc = [(64, 3136, 128), (64, 128, 10)]
    else:
        layers = [(32 * 32 * 32, 27, 64, False)] + [(32 * 32 * 32, 576, 64, True)] * 4
        fc = [(32, 64, 10)]
    shapes = []
    for m, k, n, need_dx in layers:
        shapes += [(m, k, n), (k, m, n)] + ([(m, n, k)] if need_dx else [])
    for m, k, n in fc:
        shapes += [(m, k, n), (n, m, k), (m, n, k)]
    return shapes


def gemm_operands(name):
    """Contiguous operands for every GEMM of one step (see ``_conv_gemms``)."""
    import numpy as np

    rng = np.random.default_rng(0)
    return [
        (
            rng.standard_normal((m, k), dtype=np.float32),
            rng.standard_normal((k, n), dtype=np.float32),
        )
        for m, k, n in _conv_gemms(name)
    ]


def gemm_seconds(ops) -> float:
    """Time of the step's GEMMs alone, one after the other."""
    t0 = time.perf_counter()
    for a, b in ops:
        a @ b
    return time.perf_counter() - t0


def profile(name, steps=20):
    setup = {"cnn_train": cnn.nerve_cnn, "resnet_train": cnn.nerve_resnet}[name]
    step, ops = setup(), gemm_operands(name)
    for _ in range(3):
        step()
    # a step and the GEMMs alone alternate, so that load changes on a shared machine hit both
    plain, gemm = [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        plain.append(time.perf_counter() - t0)
        gemm.append(gemm_seconds(ops))
    totals = defaultdict(list)
    originals = _instrument(totals)
    try:
        for _ in range(steps):
            step()
    finally:
        _restore(originals)
    step_s, gemm_s = statistics.median(plain), statistics.median(gemm)
    print(
        f"\n## {name}: step {step_s * 1e3:.1f} ms (median of {steps}), GEMMs alone "
        f"{gemm_s * 1e3:.1f} ms -> {100 * (1 - gemm_s / step_s):.0f}% outside BLAS"
    )
    rows = sorted(((sum(v) / steps, k, len(v) // steps) for k, v in totals.items()), reverse=True)
    for sec, (key, shape), calls in rows:
        if sec >= 1e-4:
            dims = "x".join(map(str, shape))
            print(
                f"  {key:<22} {dims:<14} {sec * 1e3:7.2f} ms  {100 * sec / step_s:5.1f}%  x{calls}"
            )


def interleaved(name, steps=30):
    """nerve and PyTorch steps alternated one by one, so that a load change on a shared
    machine hits both alike; the ratio of the medians (> 1: nerve faster)."""
    import torch

    w = {w.name: w for w in cnn.WORKLOADS}[name]
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    fns = (w.setup_nerve(), w.setup_torch())
    for fn in fns * 3:
        fn()
    wall, cpu = ([], []), ([], [])
    for _ in range(steps):
        for i, fn in enumerate(fns):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[i].append(time.perf_counter() - t0)
            cpu[i].append(time.process_time() - c0)
    for label, t in (("wall", wall), ("cpu", cpu)):
        nerve_s, torch_s = (statistics.median(v) for v in t)
        print(
            f"{name} interleaved, {torch.get_num_threads()} threads, {label} time: nerve "
            f"{nerve_s * 1e3:.1f} ms, torch {torch_s * 1e3:.1f} ms per step -> ratio "
            f"{torch_s / nerve_s:.2f}x"
        )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("names", nargs="*", default=["cnn_train", "resnet_train"])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument(
        "--ratio", action="store_true", help="only the nerve/PyTorch ratio, their steps interleaved"
    )
    args = p.parse_args(argv)
    for name in args.names:
        if args.ratio:
            interleaved(name, args.steps)
        else:
            profile(name, args.steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
