"""Acceptance: a CNN reaches >= 98% test accuracy on the 8x8 digits (inputs 1x8x8), by
running examples/cnn_digits.py's training (shortened to 8 epochs to keep the suite fast).
Its speed is a benchmark's business (benchmarks/cnn.py), not a timed test's."""

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cnn_digits.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("cnn_digits_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cnn_reaches_98_percent_on_digits_fast():
    example = _load_example()
    model, acc = example.train(epochs=8, seed=0, verbose=False)
    assert acc >= 0.98, f"test accuracy {acc:.4f}"
    assert sum(p.numel() for p in model.parameters()) < 50_000
