"""Time a workload, one framework per process, and compare nerve with PyTorch in pairs.

Each workload is a ``Workload(name, unit, per_call, setup_nerve, setup_torch, ...)``; a
setup returns a zero-argument callable doing one step (one training step, one
inference, one recorded op), and ``gemms`` lists the step's matrix products for its
floor (benchmarks/floor.py).

Why separate processes: in one process, after each call the other framework's thread
pool (OpenBLAS's workers, PyTorch's OpenMP team) keeps spinning on the cores and slows
whichever runs next. So ``compare`` starts a child process per framework and run,
alternately (nerve, torch, nerve, torch, ...), each child times the best of several
rounds, and the pair ratios give the median and the spread. nerve's child also times
the workload's GEMMs alone (its floor), on the same BLAS in the same process.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

# Two threads for both frameworks; set before numpy and torch load their BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")

ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
FRAMEWORKS = ("nerve", "torch")


@dataclass
class Workload:
    name: str
    unit: str  # what one call processes: "samples", "ops", "tokens" or "latency"
    per_call: int  # units per call (batch size); 1 for latency workloads
    setup_nerve: object
    setup_torch: object
    description: str = ""
    gemms: list = field(default_factory=list)  # (m, k, n, count) rows: the step's GEMMs


def _calls_per_round(fn, min_time: float) -> int:
    """Grow the number of calls until one round takes about ``min_time``."""
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        if time.perf_counter() - t0 >= min_time / 4 or number >= 1 << 20:
            return number
        number *= 4


def round_times(fn, rounds: int = 5, min_time: float = 0.2) -> list:
    """Seconds per call in each of ``rounds`` rounds of an auto-sized number of calls,
    after three warm-up calls."""
    for _ in range(3):
        fn()
    number = _calls_per_round(fn, min_time)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return times


def time_call(fn, repeats: int = 7, min_time: float = 0.2) -> float:
    """Median seconds per call over ``repeats`` rounds (see ``round_times``)."""
    return statistics.median(round_times(fn, repeats, min_time))


def measure(w: Workload, framework: str, rounds: int = 5, min_time: float = 0.2) -> dict:
    """One framework's best seconds per call (and for nerve the GEMM floor), in this
    process; what the child process reports."""
    setup = w.setup_nerve if framework == "nerve" else w.setup_torch
    if framework == "torch":
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    out = {"framework": framework, "name": w.name}
    out["rounds"] = round_times(setup(), rounds, min_time)
    out["s"] = min(out["rounds"])
    from benchmarks import floor

    if framework == "nerve" and floor.gemms_of(w):
        out["floor_s"] = min(round_times(floor.gemm_step(floor.gemms_of(w)), rounds, min_time))
    if framework == "nerve":
        from nerve.backend import threads

        out["blas_policy"] = threads.blas_policy()
    return out


def child_env(unset_vars: bool) -> dict:
    """This environment, less OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE when ``unset_vars``."""
    return {k: v for k, v in os.environ.items() if not (unset_vars and k in ENV_VARS)}


def run_child(
    name: str, framework: str, rounds: int, env: dict, timeout: float = 900.0, min_time: float = 0.2
) -> dict:
    """``measure`` in a fresh interpreter; its last stdout line is the JSON result."""
    cmd = [sys.executable, "-m", "benchmarks.child", framework, name, str(rounds), str(min_time)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(env, PYTHONPATH=os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")])))
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=root)
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
        return {"framework": framework, "name": name, "error": tail}
    return json.loads(lines[-1])


def compare(
    name: str,
    pairs: int = 3,
    rounds: int = 5,
    env: dict | None = None,
    with_torch: bool = True,
    loaded: int = 0,
    min_time: float = 0.2,
    child=None,
) -> dict:
    """Alternate nerve and torch children ``pairs`` times; with ``loaded`` > 0 each pair
    is followed by the same pair while that many busy processes run (benchmarks/load.py).

    Returns lists of seconds per framework and condition ("quiet", "loaded") in run
    order, the nerve children's floors, and the first error a child reported.
    """
    from benchmarks import load

    child = child or run_child
    env = dict(os.environ) if env is None else env
    frameworks = FRAMEWORKS if with_torch else FRAMEWORKS[:1]
    res = {"name": name, "quiet": {f: [] for f in frameworks}, "floor": [], "error": None}
    if loaded:
        res["loaded"] = {f: [] for f in frameworks}
    for _ in range(pairs):
        for cond in ("quiet", "loaded") if loaded else ("quiet",):
            for fw in frameworks:
                if cond == "loaded":
                    with load.busy(loaded):
                        r = child(name, fw, rounds, env, min_time=min_time)
                else:
                    r = child(name, fw, rounds, env, min_time=min_time)
                if "error" in r:  # None keeps the pairs aligned; report.py skips it
                    res["error"] = res["error"] or f"{fw}: {r['error']}"
                    res[cond][fw].append(None)
                    continue
                res[cond][fw].append(r["s"])
                if fw == "nerve" and cond == "quiet" and "floor_s" in r:
                    res["floor"].append(r["floor_s"])
                res.setdefault("blas_policy", r.get("blas_policy"))
    return res


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def blas_info() -> str:
    from nerve.backend import blas_summary

    return blas_summary()


def env_label(env: dict | None = None) -> str:
    env = os.environ if env is None else env
    vals = [f"{k}={env[k]}" for k in ENV_VARS if k in env]
    return ", ".join(vals) if vals else "unset"


def machine_line() -> str:
    return (
        f"{platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}, "
        f"BLAS: {blas_info()}"
    )
