"""nerve against PyTorch, each framework in a process of its own, alternately.

For each workload: nerve, torch, nerve, torch, ... (--pairs pairs), each child the
best of --rounds rounds; the table gives the median of the pair ratios (t_torch /
t_nerve, above 1: nerve is faster) with their spread, the workload's GEMM floor (its
matrix products alone, same BLAS, in nerve's process) and the floor's share of nerve's
step. When OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE is set, the run is repeated with both
unset in the children's environment, so both settings are reported.

--loaded: each pair is followed by the same pair while two bounded busy processes
(pure-Python spin loops, started and killed by the benchmark) run on the cores; a
second table gives each framework's slowdown, loaded over quiet.

The commands (the README's table, on a quiet machine; `uptime` first):
  python -m benchmarks.run --markdown                  # quiet table, Markdown for the README
  python -m benchmarks.run --loaded --markdown         # quiet and loaded tables
  python -m benchmarks.run mlp_train cnn_train --pairs 5
  python -m benchmarks.run --list                      # the workloads
  python -m benchmarks.gemm --threads                  # GEMMs on 1 and 2 BLAS threads,
                                                       # quiet and loaded, and the switch cost
  nerve bench --markdown                               # the same through the command
"""

from __future__ import annotations

import argparse
import sys

from benchmarks import load, registry, report, runner

TORCH_MISSING = (
    "# torch is not installed: nerve is timed alone and the torch columns are "
    "'-' (pip install torch==2.13.0, or pip install -e \".[test]\")"
)


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("names", nargs="*", help="workloads to run (default: all; see --list)")
    p.add_argument("--pairs", type=int, default=3, help="nerve/torch process pairs (default 3)")
    p.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="timed rounds in each process, the best counts (default 5)",
    )
    p.add_argument("--repeats", type=int, dest="rounds", help=argparse.SUPPRESS)  # old name
    p.add_argument(
        "--min-time", type=float, default=0.2, help="seconds a round lasts at least (default 0.2)"
    )
    p.add_argument("--markdown", action="store_true", help="tables in Markdown")
    p.add_argument(
        "--loaded",
        action="store_true",
        help="also run each pair beside busy processes and report slowdowns",
    )
    p.add_argument("--busy", type=int, default=2, help="busy processes for --loaded (default 2)")
    p.add_argument("--no-torch", action="store_true", help="time nerve alone")
    p.add_argument(
        "--no-env-rerun",
        action="store_true",
        help="only the environment as it is (no run with the OpenBLAS variables unset)",
    )
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    args = p.parse_args(argv)
    if args.pairs < 1 or args.rounds < 1 or args.busy < 1:
        p.error(
            f"--pairs, --rounds and --busy must be at least 1, got {args.pairs}, "
            f"{args.rounds}, {args.busy}"
        )
    return args


def chosen(names: list) -> list:
    ws = registry.all_workloads()
    unknown = set(names) - {w.name for w in ws}
    if unknown:
        raise SystemExit(
            f"benchmarks.run: unknown workload(s) {', '.join(sorted(unknown))}; "
            f"the workloads are: {', '.join(w.name for w in ws)}"
        )
    return [w for w in ws if not names or w.name in names]


def run_setting(ws: list, args, env: dict, with_torch: bool, compare=None) -> int:
    compare = compare or runner.compare
    print(
        f"# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE: {runner.env_label(env)}; "
        f"{args.pairs} pairs x {args.rounds} rounds; {load.load_line()} at the start"
    )
    loaded = args.busy if args.loaded else 0
    results, errors = [], []
    for w in ws:
        res = compare(w.name, args.pairs, args.rounds, env, with_torch, loaded, args.min_time)
        results.append((res, w))
        # progress on stderr, so a long run that is cut short still leaves its rows
        done = report.quiet_row(res, w) + (report.loaded_row(res, w)[1:] if loaded else [])
        print("# done: " + " | ".join(done), file=sys.stderr, flush=True)
        if res["error"]:
            errors.append(f"# {w.name}: {res['error']}")
    if results and results[0][0].get("blas_policy"):
        print(f"# nerve's BLAS threads: {results[0][0]['blas_policy']}")
    print(
        report.table(report.QUIET_HEAD, [report.quiet_row(r, w) for r, w in results], args.markdown)
    )
    if loaded:
        print(
            f"\n# beside {loaded} busy processes; slowdown = loaded / quiet, median of pairs; "
            f"{load.load_line()} at the end"
        )
        print(
            report.table(
                report.LOADED_HEAD, [report.loaded_row(r, w) for r, w in results], args.markdown
            )
        )
    for e in errors:
        print(e)
    sys.stdout.flush()
    return 1 if errors else 0


def main(argv=None, compare=None) -> int:
    args = parse(argv)
    if args.list:
        for w in registry.all_workloads():
            print(f"{w.name:<16} {w.description}")
        return 0
    ws = chosen(args.names)
    with_torch = not args.no_torch and runner.torch_available()
    print(f"# {runner.machine_line()}")
    if not args.no_torch and not with_torch:
        print(TORCH_MISSING)
    env_set = any(k in runner.child_env(False) for k in runner.ENV_VARS)
    code = run_setting(ws, args, runner.child_env(False), with_torch, compare)
    if args.no_env_rerun:
        return code
    if not env_set:
        print("# (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset here: one run covers both)")
        return code
    print()
    return max(code, run_setting(ws, args, runner.child_env(True), with_torch, compare))


if __name__ == "__main__":
    sys.exit(main())
