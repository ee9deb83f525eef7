"""``nerve demo`` quiet and beside busy processes: the wall time of the whole command.

Each pair runs the demo once on the quiet machine and once while ``--busy`` bounded busy
processes (benchmarks/load.py: pure-Python spin loops, started and killed here) load the
cores; the slowdown is loaded over quiet, and the median of the pairs is reported with
their spread. The issue's goal: within 2x of the quiet time.

  python -m benchmarks.demo_load --quick --pairs 3     # the smoke-test demo (~10 s each)
  python -m benchmarks.demo_load --pairs 1             # the full demo (minutes each)

The environment's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are reported; ``--unset`` runs the
demo with both removed from its environment.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks import load, runner


def run_demo(quick: bool, env: dict) -> float:
    """Seconds of wall time for one ``nerve demo`` into a fresh folder."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "nerve", "demo", "--out", out, "--quiet"]
        if quick:
            cmd.append("--quick")
        start = time.perf_counter()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
        took = time.perf_counter() - start
    if p.returncode != 0:
        tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"nerve demo failed (exit {p.returncode}): {tail}")
    return took


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="nerve demo --quick")
    ap.add_argument("--pairs", type=int, default=3, help="quiet/loaded pairs (default 3)")
    ap.add_argument("--busy", type=int, default=2, help="busy processes (default 2)")
    ap.add_argument("--unset", action="store_true", help="OPENBLAS_* variables unset")
    args = ap.parse_args(argv)
    env = runner.child_env(args.unset)
    print(f"# {load.load_line()}; {runner.env_label(env)}; busy processes: {args.busy}")
    ratios = []
    for i in range(args.pairs):
        quiet = run_demo(args.quick, env)
        with load.busy(args.busy, max_seconds=7200):
            loaded = run_demo(args.quick, env)
        ratios.append(loaded / quiet)
        print(f"pair {i + 1}: quiet {quiet:.1f} s, loaded {loaded:.1f} s, x{ratios[-1]:.2f}")
        sys.stdout.flush()
    print(
        f"slowdown median x{statistics.median(ratios):.2f} "
        f"(pairs {min(ratios):.2f}-{max(ratios):.2f}); {load.load_line()}"
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
