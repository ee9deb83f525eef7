"""Summaries and tables of ``runner.compare`` results.

- speed ratio of pair i: rᵢ = t_torch,i / t_nerve,i (above 1: nerve is faster; for the
  latency workloads nerve's latency over torch's is 1/rᵢ); the table gives the median
  of the rᵢ and their spread (smallest to largest);
- the floor's share: median floor time / median nerve time (1.0 would be a step that
  is nothing but its GEMMs);
- slowdown of a framework under load, pair i: loadedᵢ / quietᵢ, median over pairs.
"""

from __future__ import annotations

import statistics

MISSING = "-"


def pair_ratios(num: list, den: list) -> list:
    """aᵢ / bᵢ over the pairs where both runs succeeded (a failed run is None)."""
    return [a / b for a, b in zip(num, den) if a is not None and b is not None]


def ratio_summary(ratios: list) -> tuple | None:
    """(median, smallest, largest) of the ratios, None when there are none."""
    if not ratios:
        return None
    return statistics.median(ratios), min(ratios), max(ratios)


def fmt_ratio(s: tuple | None) -> str:
    if s is None:
        return MISSING
    med, lo, hi = s
    return f"{med:.2f}x" if lo == hi else f"{med:.2f}x ({lo:.2f}-{hi:.2f})"


def fmt_rate(seconds: float | None, unit: str, per_call: int) -> str:
    if seconds is None:
        return MISSING
    if unit == "latency":
        return f"{seconds * 1e3:.2f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.1f} µs"
    return f"{per_call / seconds:,.0f} {unit}/s"


def _median(xs: list) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def quiet_row(res: dict, w) -> list:
    """workload, nerve, torch, speed ratio, floor, floor's share of nerve's step."""
    q = res["quiet"]
    n, t = _median(q.get("nerve", [])), _median(q.get("torch", []))
    ratio = ratio_summary(pair_ratios(q.get("torch", []), q.get("nerve", [])))
    fl = _median(res["floor"])
    floor = f"{fl * 1e3:.2f} ms" if fl else MISSING
    share = f"{fl / n:.0%}" if fl and n else MISSING
    return [
        w.name,
        fmt_rate(n, w.unit, w.per_call),
        fmt_rate(t, w.unit, w.per_call),
        fmt_ratio(ratio),
        floor,
        share,
    ]


def slowdowns(res: dict, fw: str) -> list:
    return pair_ratios(res["loaded"].get(fw, []), res["quiet"].get(fw, []))


def loaded_row(res: dict, w) -> list:
    """workload, nerve and torch loaded rates, each one's slowdown, nerve's over torch's."""
    ld = res["loaded"]
    sn, st = ratio_summary(slowdowns(res, "nerve")), ratio_summary(slowdowns(res, "torch"))
    rel = MISSING
    if sn and st:
        rel = f"{sn[0] / st[0]:.2f}"
    return [
        w.name,
        fmt_rate(_median(ld.get("nerve", [])), w.unit, w.per_call),
        fmt_rate(_median(ld.get("torch", [])), w.unit, w.per_call),
        fmt_ratio(sn),
        fmt_ratio(st),
        rel,
    ]


QUIET_HEAD = [
    "workload",
    "nerve",
    "torch",
    "nerve speed / torch (median of pairs, spread)",
    "GEMM floor",
    "floor / nerve step",
]
LOADED_HEAD = [
    "workload",
    "nerve loaded",
    "torch loaded",
    "nerve slowdown",
    "torch slowdown",
    "nerve's / torch's",
]


def table(head: list, rows: list, markdown: bool = False) -> str:
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(out + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(str(x[i])) for x in [head] + rows) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*head)] + [fmt.format(*r) for r in rows])
