"""The workloads, gathered from the modules of benchmarks/ that define ``WORKLOADS``.

To add a family, write benchmarks/<family>.py with a ``WORKLOADS`` list of
``runner.Workload`` (with ``gemms`` for its floor) and add its name to ``MODULES``;
a listed module that is not there yet is skipped.
"""

from __future__ import annotations

import importlib

MODULES = ("small_ops", "mlp", "cnn", "rnn", "gpt")


def all_workloads() -> list:
    out = []
    for mod in MODULES:
        try:
            m = importlib.import_module(f"benchmarks.{mod}")
        except ModuleNotFoundError as e:
            if e.name != f"benchmarks.{mod}":
                raise
            continue
        out += m.WORKLOADS
    return out


def find(name: str):
    for w in all_workloads():
        if w.name == name:
            return w
    names = ", ".join(w.name for w in all_workloads())
    raise SystemExit(f"benchmarks: no workload named {name!r}; the workloads are: {names}")
