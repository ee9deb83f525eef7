"""The lecture experiments: ``nerve lab NAME`` (and examples/labs.py).

Each lab prints what it measured, closes with its finding in one sentence with the
numbers, and writes its plot (``<out>/lab_<name>.png``, when matplotlib is installed).
``quick=True`` is a reduced run for tests (fewer epochs, less data) that must reach
the same finding. This file holds the registry and the labs that need no training
(init, conv-arithmetic); labs_lecture.py the lecture's worked examples (backprop, graph),
labs_train.py and labs_rnn.py the others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

import nerve
import nerve.nn.functional as F
from nerve import nn
from nerve.diagnostics import plots


@dataclass
class LabResult:
    """What a lab found: the sentence, the numbers behind it, its plot and its report."""

    name: str
    finding: str
    numbers: dict = field(default_factory=dict)
    plot: str | None = None
    report: str = ""


def save_plot(draw, *args, **kwargs) -> str | None:
    """Draw a plot, or None without matplotlib (the labs run with numpy alone)."""
    try:
        return draw(*args, **kwargs)
    except ImportError:
        return None


# ----- backprop -----------------------------------------------------------------------
def _worked_example():
    """The textbook 2-2-2 sigmoid network with biases (inputs .05, .10; targets .01, .99),
    which the trace tests use; the lecture's own example is in labs_lecture.py."""
    net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid())
    net[0].weight._data[...] = [[0.15, 0.20], [0.25, 0.30]]
    net[0].bias._data[...] = 0.35
    net[2].weight._data[...] = [[0.40, 0.45], [0.50, 0.55]]
    net[2].bias._data[...] = 0.60
    net.double()
    x = nerve.tensor([[0.05, 0.10]], dtype=np.float64)
    t = nerve.tensor([[0.01, 0.99]], dtype=np.float64)
    return net, x, t


def _squared_error(net, x, t):
    """E = Σ ½ (t - o)², the lecture's error."""
    return 0.5 * F.mse_loss(net(x), t, reduction="sum")


# ----- init ---------------------------------------------------------------------------
INITS = {"N(0,1)": lambda w: nn.init.normal_(w, 0.0, 1.0),
         "0.01·N(0,1)": lambda w: nn.init.normal_(w, 0.0, 0.01),
         "Glorot": nn.init.xavier_normal_,
         "He": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")}


def _activation_profile(init, act, x, depth: int, width: int) -> tuple[list, np.ndarray]:
    """Variance of the activations of each layer, and the last layer's values."""
    h, variances = x, []
    with nerve.no_grad():
        for _ in range(depth):
            layer = nn.Linear(h.shape[1], width, bias=False)
            init(layer.weight)
            h = act(layer(h))
            variances.append(float(h.numpy().var()))
    return variances, h.numpy()


def lab_init(quick: bool = False, out: str = ".", seed: int = 0) -> LabResult:
    """5 layers of 100 units: activation variance per layer for four initialisations."""
    nerve.manual_seed(seed)
    n = 500 if quick else 2000
    x = nerve.randn(n, 100)
    profiles, nums, last = {}, {}, {}
    for act_name, act in (("tanh", F.tanh), ("ReLU", F.relu)):
        for init_name, init in INITS.items():
            var, h = _activation_profile(init, act, x, 5, 100)
            key = f"{act_name}, {init_name}"
            profiles[key], last[key] = var, h
            nums[key] = {"variance": var, "ratio": var[-1] / var[0]}
    nums["tanh, N(0,1)"]["saturated"] = float(np.mean(np.abs(last["tanh, N(0,1)"]) > 0.99))
    t, r = nums["tanh, 0.01·N(0,1)"], nums["ReLU, He"]
    finding = (f"With N(0,1) weights {nums['tanh, N(0,1)']['saturated']:.0%} of the tanh units "
               f"of layer 5 are saturated; 0.01·N(0,1) shrinks the variance to "
               f"{t['variance'][-1]:.1e} by layer 5 (from {t['variance'][0]:.1e}); Glorot keeps "
               f"tanh's layer-5/layer-1 variance ratio at {nums['tanh, Glorot']['ratio']:.2f} and "
               f"He keeps ReLU's at {r['ratio']:.2f} (Glorot with ReLU: "
               f"{nums['ReLU, Glorot']['ratio']:.2f}; N(0,1) with ReLU: "
               f"{nums['ReLU, N(0,1)']['ratio']:.1e}).")
    report = "\n".join(f"  {k:<20} " + " ".join(f"{v:9.2e}" for v in p)
                       for k, p in profiles.items())
    path = save_plot(plots.plot_layer_profile, profiles, os.path.join(out, "lab_init.png"),
                     "activation variance", "5 layers of 100 units: initialisation")
    return LabResult("init", finding, nums, path, "variance per layer 1..5\n" + report)


# ----- conv-arithmetic ----------------------------------------------------------------
CONV_EXAMPLES = [
    # name, input (C, H, W), layer
    ("5x5 conv, pad 2 (32x32x3)", (3, 32, 32), lambda: nn.Conv2d(3, 10, 5, padding=2)),
    ("3x3 conv, stride 2 (7x7)", (1, 7, 7), lambda: nn.Conv2d(1, 1, 3, stride=2)),
    ("3x3 conv, stride 3 (7x7) pad 1", (1, 7, 7), lambda: nn.Conv2d(1, 1, 3, stride=3,
                                                                    padding=1)),
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
        with nerve.no_grad():
            y = layer(nerve.zeros(1, c, h, w))
        shape, params = tuple(y.shape[1:]), layer.num_parameters()
        want_shape, want_params = _expected(layer, c, h)
        ok += shape == want_shape and params == want_params
        rows.append((name, (c, h, w), shape, params, want_shape == shape and want_params == params))
    report = "\n".join(f"  {n:<32} {'x'.join(map(str, i)):>11} -> {'x'.join(map(str, s)):<10} "
                       f"{p:>8,} params  {'ok' if good else 'MISMATCH'}"
                       for n, i, s, p, good in rows)
    alex = next((r for r in rows if r[0].startswith("AlexNet")), rows[0])
    finding = (f"{ok} of {len(rows)} layers match ⌊(W−K+2P)/S⌋+1 and (K·K·C_in+1)·C_out, e.g. "
               f"{alex[0]}: {alex[1][1]}→{alex[2][1]} with {alex[3]:,} parameters.")
    nums = {"matches": ok, "examples": len(rows),
            "rows": {r[0]: {"output": r[2], "parameters": r[3]} for r in rows}}
    bars = {r[0].split(" (")[0]: {"input size": r[1][1], "output size": r[2][1]} for r in rows}
    path = save_plot(plots.plot_bars, bars, os.path.join(out, "lab_conv_arithmetic.png"),
                     "spatial size", "convolution arithmetic")
    return LabResult("conv-arithmetic", finding, nums, path, report)


# ----- registry -----------------------------------------------------------------------
def _labs() -> dict:
    from nerve.diagnostics import labs_lecture, labs_rnn, labs_train

    return {"backprop": labs_lecture.lab_backprop, "graph": labs_lecture.lab_graph,
            "vanishing": labs_train.lab_vanishing,
            "init": lab_init, "activations": labs_train.lab_activations,
            "regularization": labs_train.lab_regularization,
            "rnn-memory": labs_rnn.lab_rnn_memory, "conv-arithmetic": lab_conv_arithmetic,
            **_lecture_section_labs()}


def _lecture_section_labs() -> dict:
    """The labs of the lectures' later sections, one file per topic."""
    from nerve.diagnostics import labs_bptt, labs_cnn, labs_exploding, labs_hello, labs_parallel

    return {"parallel": labs_parallel.lab_parallel, "bptt": labs_bptt.lab_bptt,
            "exploding": labs_exploding.lab_exploding, "hello": labs_hello.lab_hello,
            "traffic-sign": labs_cnn.lab_traffic_sign}


LAB_NAMES = ("backprop", "graph", "vanishing", "init", "activations", "regularization",
             "rnn-memory", "conv-arithmetic", "parallel", "bptt", "exploding", "hello",
             "traffic-sign")


def run_lab(name: str, quick: bool = False, out: str = ".", seed: int = 0,
            verbose: bool = True) -> LabResult:
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
        print(f"plot: {result.plot}" if result.plot else
              "plot: skipped (pip install 'nerve[plot]' for matplotlib)")
    return result
