"""One framework's run of one workload, in a process of its own:
``python -m benchmarks.child FRAMEWORK NAME ROUNDS [MIN_TIME]`` prints the result of
``runner.measure`` as one JSON line (benchmarks/runner.py starts these)."""

from __future__ import annotations

import json
import sys

from benchmarks import registry, runner


def main(argv=None) -> int:
    framework, name, rounds, *rest = sys.argv[1:] if argv is None else argv
    if framework not in runner.FRAMEWORKS:
        raise SystemExit(
            f"benchmarks.child: framework must be one of {runner.FRAMEWORKS}, got {framework!r}"
        )
    w = registry.find(name)
    min_time = float(rest[0]) if rest else 0.2
    print(json.dumps(runner.measure(w, framework, int(rounds), min_time)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
