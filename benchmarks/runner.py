"""Time a workload in nerve and in PyTorch in the same process and report the ratio.

Each workload is a ``Workload(name, unit, per_call, setup_nerve, setup_torch)``; a
setup returns a zero-argument callable doing one step (one training step, one
inference, one recorded op). Every callable is warmed up, then timed in several
repeats of ``number`` calls; the median of the repeats is reported, because the
machines are noisy.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import dataclass

# Two threads for both frameworks; set before numpy and torch load their BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")

ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@dataclass
class Workload:
    name: str
    unit: str  # what one call processes: "samples", "ops", "tokens" or "latency"
    per_call: int  # units per call (batch size); 1 for latency workloads
    setup_nerve: object
    setup_torch: object
    description: str = ""


def time_call(fn, repeats: int = 7, min_time: float = 0.2) -> float:
    """Median seconds per call over ``repeats`` repeats of an auto-sized number of calls."""
    for _ in range(3):
        fn()
    number, elapsed = 1, 0.0
    while True:  # grow the batch of calls until one repeat takes about min_time / 4
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time / 4 or number >= 1 << 20:
            break
        number *= 4
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def run_workload(w: Workload, repeats: int = 7, with_torch: bool = True) -> dict:
    row = {"name": w.name, "unit": w.unit, "description": w.description}
    row["nerve_s"] = time_call(w.setup_nerve(), repeats)
    row["torch_s"] = time_call(w.setup_torch(), repeats) if with_torch else None
    return row


def torch_available() -> bool:
    try:
        import torch

        torch.set_num_threads(2)
        return True
    except ImportError:
        return False


def blas_info() -> str:
    from nerve.backend import blas_summary

    return blas_summary()


def env_label() -> str:
    vals = [f"{k}={os.environ[k]}" for k in ENV_VARS if k in os.environ]
    return ", ".join(vals) if vals else "unset"


def format_rows(rows: list, markdown: bool = False) -> str:
    head = ["workload", "nerve", "torch", "ratio (nerve speed / torch)"]
    lines = []
    for r in rows:
        n, t = r["nerve_s"], r["torch_s"]
        if r["unit"] == "latency":
            ns, ts = f"{n * 1e6:.1f} µs", (f"{t * 1e6:.1f} µs" if t else "-")
        else:
            per = r.get("per_call", 1)
            ns = f"{per / n:,.0f} {r['unit']}/s"
            ts = f"{per / t:,.0f} {r['unit']}/s" if t else "-"
        ratio = f"{t / n:.2f}x" if t else "-"
        lines.append([r["name"], ns, ts, ratio])
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(c) + " |" for c in lines]
        return "\n".join(out)
    widths = [max(len(str(x[i])) for x in [head] + lines) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*head)] + [fmt.format(*c) for c in lines])


def machine_line() -> str:
    return f"{platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}, " \
           f"BLAS: {blas_info()}"
