"""Threads: torch.get_num_threads / set_num_threads, and BLAS threads that follow the load.

nerve's own memory-bound passes split over ``get_num_threads()`` threads
(nerve/backend/parallel.py). NumPy's OpenBLAS threads its GEMMs by itself, and on a
busy machine that goes badly: a GEMM split over two threads waits for both, and when
another process holds one core the second half waits for a scheduler slice (4 ms and
more). Measured on 2 cores beside two busy processes (``python -m benchmarks.gemm
--threads``), a (32, 256) @ (256, 1024) product took 28 ms on two threads against
1.5 ms on one; quiet, two threads take 0.27 ms and one 0.71 ms.

The rule (``NERVE_BLAS_THREADS=auto``, the default where OpenBLAS runs on several
cores): BLAS threads = the cores the other processes leave free,

    threads = clamp(cores − round(r̄), 1, started),

where r̄ is a moving average (time constant about a second) of the runnable tasks of
other processes (/proc/loadavg's running count minus this process's running threads),
sampled every 0.25 s by a sleeping watcher thread (no spinning; it exits with the
interpreter). On a quiet machine BLAS keeps all its threads; with one core taken it
drops to one thread per GEMM, so no GEMM waits for a descheduled helper, and OpenBLAS's
idle helper thread goes to sleep instead of spinning.

Switches: ``NERVE_BLAS_THREADS=N`` fixes N threads (no watcher), ``=auto`` follows the
load; ``nerve.set_num_threads(n)`` sets nerve's passes and BLAS to n threads and stops
following the load, as ``torch.set_num_threads`` sets PyTorch's intra-op threads.
"""

from __future__ import annotations

import os
import threading
import warnings

from nerve.backend import blas, parallel

PERIOD = 0.25  # seconds between load samples
ALPHA = 0.25  # weight of a new sample in the moving average (time constant ~ PERIOD / ALPHA)
_watch = {"thread": None, "avg": 0.0, "mode": None, "pid": None, "stop": threading.Event()}


def get_num_threads() -> int:
    """The threads a large elementwise, pooling or im2col pass is split over."""
    return parallel.num_threads()


def set_num_threads(num: int) -> None:
    """Use ``num`` threads for nerve's passes (at most parallel.MAX_THREADS, beyond which
    memory bandwidth, not cores, bounds them; 1 turns the splitting off) and for BLAS
    (at most the threads OpenBLAS started with), and stop following the load."""
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {num!r}")
    with parallel._busy:  # not while a split is running on the old pool
        pool = parallel._state["pool"]
        parallel._state["threads"] = min(num, parallel.MAX_THREADS)
        parallel._state["pool"] = None  # rebuilt with the new size on next use
    if pool is not None:
        pool.shutdown(wait=False)
    _watch["mode"] = num
    _stop_watcher()
    blas.put(num)


def blas_mode() -> int | str:
    """ "auto" (follow the load) or a fixed thread count, from NERVE_BLAS_THREADS once."""
    if _watch["mode"] is None:
        env = os.environ.get("NERVE_BLAS_THREADS", "auto").strip().lower()
        if env == "auto":
            _watch["mode"] = "auto"
        else:
            _watch["mode"] = int(env) if env.isdigit() and int(env) > 0 else "auto"
            if _watch["mode"] == "auto":  # a warning, not an error: `import nerve` must work
                warnings.warn(
                    f"NERVE_BLAS_THREADS must be 'auto' or a positive integer, got "
                    f"{env!r}; following the load ('auto')",
                    stacklevel=2,
                )
    return _watch["mode"]


def threads_for(others: float, cores: int, started: int) -> int:
    """The rule: the cores left by ``others`` runnable tasks, between 1 and ``started``."""
    return max(1, min(started, cores - int(others + 0.5)))  # half rounds up


def _own_running() -> int:
    n = 0
    try:
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/stat", "rb") as f:
                    stat = f.read()
            except OSError:  # the thread ended meanwhile
                continue
            n += stat[stat.rindex(b")") + 2 :][:1] == b"R"
    except OSError:
        return 0
    return n


def others_running() -> float | None:
    """Runnable tasks of other processes now, None where /proc is not there."""
    try:
        with open("/proc/loadavg", "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(0, running - _own_running())


def _loop(stop: threading.Event) -> None:
    cores, started = os.cpu_count() or 1, blas.max_threads()
    while not stop.wait(PERIOD):
        r = others_running()
        if r is None:
            return
        _watch["avg"] += ALPHA * (r - _watch["avg"])
        want = threads_for(_watch["avg"], cores, started)
        if want != blas.get():
            blas.put(want)


def start_watcher() -> bool:
    """Follow the load if the mode is "auto" and BLAS has threads to give up; idempotent,
    and again in a forked child (threads do not survive fork)."""
    if blas_mode() != "auto" or not blas.available() or blas.max_threads() < 2:
        return False
    t = _watch["thread"]
    if t is not None and t.is_alive() and _watch["pid"] == os.getpid():
        return True
    if others_running() is None:
        return False
    _watch["stop"] = stop = threading.Event()
    _watch["pid"] = os.getpid()
    _watch["thread"] = t = threading.Thread(
        target=_loop, args=(stop,), daemon=True, name="nerve-blas-threads"
    )
    t.start()
    return True


def _stop_watcher() -> None:
    _watch["stop"].set()
    _watch["thread"] = None


def blas_policy() -> str:
    """A line for reports: the BLAS threads now and how they are chosen."""
    if not blas.available():
        return "not OpenBLAS: its own setting"
    mode = blas_mode()
    now = f"{blas.get()} of {blas.max_threads()} now"
    if mode == "auto":
        state = "following the load" if start_watcher() else "fixed (nothing to follow)"
        return f"{now}, {state} (NERVE_BLAS_THREADS=auto)"
    return f"{now}, fixed at {mode}"


def apply_mode() -> None:
    """At import: a fixed NERVE_BLAS_THREADS is set at once, "auto" starts the watcher."""
    mode = blas_mode()
    if mode == "auto":
        start_watcher()
    elif blas.available():
        blas.put(mode)


apply_mode()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _watch.update(thread=None))
