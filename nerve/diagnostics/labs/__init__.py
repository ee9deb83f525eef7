"""The lecture experiments: ``nerve lab NAME`` (and examples/labs.py).

Each lab prints what it measured, closes with its finding in one sentence with the
numbers, and writes its plot (``<out>/lab_<name>.png``, when matplotlib is installed).
``quick=True`` is a reduced run for tests (fewer epochs, less data) that must reach
the same finding. This package's face is the registry (``run_lab``, ``LAB_NAMES``);
each lab is a module of its own, loaded when run: lecture.py (backprop, graph),
initialisation.py, conv_arithmetic.py, train.py (vanishing, activations,
regularization), rnn.py, bptt.py, exploding.py, hello.py, cnn.py (traffic-sign),
parallel.py; result.py holds LabResult and the plot helper they share.
"""

from __future__ import annotations

import os

from nerve.diagnostics.labs.result import LabResult, save_plot

__all__ = ["LAB_NAMES", "LabResult", "run_lab", "save_plot"]


# ----- registry -----------------------------------------------------------------------
def _labs() -> dict:
    from nerve.diagnostics.labs import conv_arithmetic, initialisation, lecture, rnn, train

    return {
        "backprop": lecture.lab_backprop,
        "graph": lecture.lab_graph,
        "vanishing": train.lab_vanishing,
        "init": initialisation.lab_init,
        "activations": train.lab_activations,
        "regularization": train.lab_regularization,
        "rnn-memory": rnn.lab_rnn_memory,
        "conv-arithmetic": conv_arithmetic.lab_conv_arithmetic,
        **_lecture_section_labs(),
    }


def _lecture_section_labs() -> dict:
    """The labs of the lectures' later sections, one file per topic."""
    from nerve.diagnostics.labs import bptt, cnn, exploding, hello, parallel

    return {
        "parallel": parallel.lab_parallel,
        "bptt": bptt.lab_bptt,
        "exploding": exploding.lab_exploding,
        "hello": hello.lab_hello,
        "traffic-sign": cnn.lab_traffic_sign,
    }


LAB_NAMES = (
    "backprop",
    "graph",
    "vanishing",
    "init",
    "activations",
    "regularization",
    "rnn-memory",
    "conv-arithmetic",
    "parallel",
    "bptt",
    "exploding",
    "hello",
    "traffic-sign",
)


def run_lab(
    name: str, quick: bool = False, out: str = ".", seed: int = 0, verbose: bool = True
) -> LabResult:
    """Run one lab; print its report, its finding and where its plot went."""
    labs = _labs()
    if name not in labs:
        raise ValueError(f"unknown lab {name!r}; labs: {', '.join(LAB_NAMES)}")
    os.makedirs(out, exist_ok=True)
    result = labs[name](quick=quick, out=out, seed=seed)
    if verbose:
        if result.report:
            print(result.report)
        print(f"finding: {result.finding}")
        print(
            f"plot: {result.plot}"
            if result.plot
            else "plot: skipped (pip install 'nerve[plot]' for matplotlib)"
        )
    return result
