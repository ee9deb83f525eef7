"""Busy processes that load the cores while a benchmark runs, as a browser, an IDE or a
second experiment load a user's machine.

``busy(n)`` is a context manager that starts ``n`` child processes, each a pure-Python
spin loop (or a NumPy loop with ``kind="numpy"``), and stops them when the block ends,
on an exception too. Each child is bounded by itself: it exits after ``max_seconds``
and as soon as its parent is gone (it polls ``os.getppid()``), so no spinner outlives
the benchmark even if the benchmark is killed. An ``atexit`` hook kills any left over.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import time

# The child: spin until the deadline or until the parent goes away (re-parented).
_SPIN = """
import os, sys, time
parent, deadline = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
kind = sys.argv[3]
if kind == "numpy":
    import numpy as np
    a = np.ones(1 << 16, np.float32)
while time.monotonic() < deadline and os.getppid() == parent:
    if kind == "numpy":
        for _ in range(200):
            a *= 1.0000001
    else:
        x = 0
        for i in range(200000):
            x += i
"""

_live: list = []


def _kill_all() -> None:
    for p in list(_live):
        stop(p)


atexit.register(_kill_all)


def start(kind: str = "python", max_seconds: float = 900.0) -> subprocess.Popen:
    """One bounded busy process; ``kind`` is "python" (a spin loop) or "numpy"."""
    if kind not in ("python", "numpy"):
        raise ValueError(f"busy process kind must be 'python' or 'numpy', got {kind!r}")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    p = subprocess.Popen(
        [sys.executable, "-c", _SPIN, str(os.getpid()), str(max_seconds), kind],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    _live.append(p)
    return p


def stop(p: subprocess.Popen) -> None:
    if p.poll() is None:
        p.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        p.wait(timeout=5)
    if p in _live:
        _live.remove(p)


@contextlib.contextmanager
def busy(n: int = 2, kind: str = "python", max_seconds: float = 900.0, settle: float = 0.3):
    """Run the block with ``n`` busy processes on the machine; they are killed on exit."""
    procs = []
    try:
        for _ in range(n):
            procs.append(start(kind, max_seconds))
        time.sleep(settle)  # let them reach their loops (and the scheduler notice them)
        yield procs
    finally:
        for p in procs:
            stop(p)


def load_line() -> str:
    """The 1, 5 and 15 minute load averages, for the report's header."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"
