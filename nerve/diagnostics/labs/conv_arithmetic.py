"""The conv-arithmetic lab: output sizes of the lectures' convolution and pooling
examples, from the formula and from running the layer; needs no training."""

from __future__ import annotations

import os

from nerve import creation, nn
from nerve.autograd.grad_mode import no_grad
from nerve.diagnostics import plots
from nerve.diagnostics.labs.result import LabResult, save_plot

CONV_EXAMPLES = [
    # name, input (C, H, W), layer
    ("5x5 conv, pad 2 (32x32x3)", (3, 32, 32), lambda: nn.Conv2d(3, 10, 5, padding=2)),
    ("3x3 conv, stride 2 (7x7)", (1, 7, 7), lambda: nn.Conv2d(1, 1, 3, stride=2)),
    ("3x3 conv, stride 3 (7x7) pad 1", (1, 7, 7), lambda: nn.Conv2d(1, 1, 3, stride=3, padding=1)),
    ("AlexNet conv1 11x11/4", (3, 227, 227), lambda: nn.Conv2d(3, 96, 11, stride=4)),
    ("VGG conv3-64", (3, 224, 224), lambda: nn.Conv2d(3, 64, 3, padding=1)),
    ("1x1 conv 64→32", (64, 56, 56), lambda: nn.Conv2d(64, 32, 1)),
    ("max pool 2x2/2", (64, 224, 224), lambda: nn.MaxPool2d(2, 2)),
    ("max pool 3x3/2", (96, 55, 55), lambda: nn.MaxPool2d(3, 2)),
]


def _expected(layer, c: int, h: int) -> tuple[tuple, int]:
    """The lectures' formulas: ⌊(W − K + 2P)/S⌋ + 1 and (K·K·C_in + 1)·C_out."""
    k, s, p = (getattr(layer, a) for a in ("kernel_size", "stride", "padding"))
    k, s, p = (v[0] if isinstance(v, tuple) else v for v in (k, s, p))
    size = (h - k + 2 * p) // s + 1
    if isinstance(layer, nn.Conv2d):
        return (layer.out_channels, size, size), (k * k * c + 1) * layer.out_channels
    return (c, size, size), 0


def lab_conv_arithmetic(quick: bool = False, out: str = ".", seed: int = 0) -> LabResult:
    """Output sizes and parameter counts of the lectures' examples, by real layers."""
    rows, ok = [], 0
    examples = CONV_EXAMPLES[:3] + CONV_EXAMPLES[5:6] if quick else CONV_EXAMPLES
    for name, (c, h, w), make in examples:
        layer = make()
        with no_grad():
            y = layer(creation.zeros(1, c, h, w))
        shape, params = tuple(y.shape[1:]), layer.num_parameters()
        want_shape, want_params = _expected(layer, c, h)
        ok += shape == want_shape and params == want_params
        rows.append((name, (c, h, w), shape, params, want_shape == shape and want_params == params))
    report = "\n".join(
        f"  {n:<32} {'x'.join(map(str, i)):>11} -> {'x'.join(map(str, s)):<10} "
        f"{p:>8,} params  {'ok' if good else 'MISMATCH'}"
        for n, i, s, p, good in rows
    )
    alex = next((r for r in rows if r[0].startswith("AlexNet")), rows[0])
    finding = (
        f"{ok} of {len(rows)} layers match ⌊(W−K+2P)/S⌋+1 and (K·K·C_in+1)·C_out, e.g. "
        f"{alex[0]}: {alex[1][1]}→{alex[2][1]} with {alex[3]:,} parameters."
    )
    nums = {
        "matches": ok,
        "examples": len(rows),
        "rows": {r[0]: {"output": r[2], "parameters": r[3]} for r in rows},
    }
    bars = {r[0].split(" (")[0]: {"input size": r[1][1], "output size": r[2][1]} for r in rows}
    path = save_plot(
        plots.plot_bars,
        bars,
        os.path.join(out, "lab_conv_arithmetic.png"),
        "spatial size",
        "convolution arithmetic",
    )
    return LabResult("conv-arithmetic", finding, nums, path, report)
