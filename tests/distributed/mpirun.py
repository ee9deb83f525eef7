"""Run a script under ``mpiexec -n N`` (the mpich wheel's, next to this Python) with a
timeout, from a pytest test: the MPI jobs are separate processes, never pytest itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def mpiexec() -> str:
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    assert found, (
        "no mpiexec next to the Python interpreter or on PATH: "
        'pip install "nerve[mpi]" (the test extra brings mpi4py and mpich)'
    )
    return found


def run(script: str, n: int = 2, *args: str, timeout: float = 60) -> tuple:
    """(return code, stdout, stderr, seconds) of ``mpiexec -n n python script args``."""
    env = dict(
        os.environ,
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONPATH=str(ROOT),
    )
    cmd = [mpiexec(), "-n", str(n), sys.executable, str(HERE / script), *args]
    start = time.monotonic()
    try:
        p = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError(
            f"{' '.join(cmd)} hung: no result after {timeout} s\n"
            f"stdout: {e.stdout}\nstderr: {e.stderr}"
        ) from None
    return p.returncode, p.stdout, p.stderr, time.monotonic() - start


def run_ok(script: str, n: int = 2, *args: str, timeout: float = 60) -> str:
    rc, out, err, _ = run(script, n, *args, timeout=timeout)
    assert rc == 0, f"mpiexec -n {n} {script} failed (rc {rc})\nstdout:\n{out}\nstderr:\n{err}"
    return out
