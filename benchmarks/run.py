"""Run the benchmarks: ``python -m benchmarks.run [NAMES...] [--repeats N] [--markdown]``.

Each workload runs in nerve and in PyTorch in this one process (median of repeats,
2 threads each) and the table gives the ratio, >1 meaning nerve is faster. Unless
``--no-env-rerun``, the whole run is repeated in a child process with
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (they slow a current numpy's BLAS on
these machines), so both settings are reported.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from benchmarks import runner


def all_workloads() -> list:
    from benchmarks import cnn, mlp, rnn, small_ops

    return small_ops.WORKLOADS + mlp.WORKLOADS + cnn.WORKLOADS + rnn.WORKLOADS


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("names", nargs="*", help="workloads to run (default: all)")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--gemm", action="store_true", help="also report the GEMM GFLOP/s peak")
    p.add_argument("--no-env-rerun", action="store_true")
    p.add_argument("--no-torch", action="store_true", help="time nerve alone")
    args = p.parse_args(argv)
    with_torch = not args.no_torch and runner.torch_available()
    chosen = [w for w in all_workloads() if not args.names or w.name in args.names]
    print(f"# {runner.machine_line()}")
    print(f"# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE: {runner.env_label()}")
    rows = []
    for w in chosen:
        row = runner.run_workload(w, args.repeats, with_torch)
        row["per_call"] = w.per_call
        rows.append(row)
    print(runner.format_rows(rows, args.markdown))
    if args.gemm and with_torch:
        from benchmarks import gemm

        for shape, gn, gt in gemm.gflops():
            print(f"# GEMM {shape}: numpy {gn:.0f} GFLOP/s, torch {gt:.0f} GFLOP/s")
    sys.stdout.flush()
    if not args.no_env_rerun and any(k in os.environ for k in runner.ENV_VARS):
        env = {k: v for k, v in os.environ.items() if k not in runner.ENV_VARS}
        print()
        cmd = [sys.executable, "-m", "benchmarks.run", *sys.argv[1:], "--no-env-rerun"]
        return subprocess.call(cmd, env=env)
    if not args.no_env_rerun:
        print("# (the variables are not set in this environment: one run covers both)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
