"""The init lab: activation variance through deep tanh/ReLU stacks under four
initialisations (N(0,1), 0.01·N(0,1), Glorot, He); needs no training."""

from __future__ import annotations

import os

import numpy as np

import nerve.nn.functional as F
from nerve import creation, nn
from nerve.autograd.grad_mode import no_grad
from nerve.diagnostics import plots
from nerve.diagnostics.labs.result import LabResult, save_plot
from nerve.random import manual_seed

INITS = {
    "N(0,1)": lambda w: nn.init.normal_(w, 0.0, 1.0),
    "0.01·N(0,1)": lambda w: nn.init.normal_(w, 0.0, 0.01),
    "Glorot": nn.init.xavier_normal_,
    "He": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
}


def _activation_profile(init, act, x, depth: int, width: int) -> tuple[list, np.ndarray]:
    """Variance of the activations of each layer, and the last layer's values."""
    h, variances = x, []
    with no_grad():
        for _ in range(depth):
            layer = nn.Linear(h.shape[1], width, bias=False)
            init(layer.weight)
            h = act(layer(h))
            variances.append(float(h.numpy().var()))
    return variances, h.numpy()


def lab_init(quick: bool = False, out: str = ".", seed: int = 0) -> LabResult:
    """5 layers of 100 units: activation variance per layer for four initialisations."""
    manual_seed(seed)
    n = 500 if quick else 2000
    x = creation.randn(n, 100)
    profiles, nums, last = {}, {}, {}
    for act_name, act in (("tanh", F.tanh), ("ReLU", F.relu)):
        for init_name, init in INITS.items():
            var, h = _activation_profile(init, act, x, 5, 100)
            key = f"{act_name}, {init_name}"
            profiles[key], last[key] = var, h
            nums[key] = {"variance": var, "ratio": var[-1] / var[0]}
    nums["tanh, N(0,1)"]["saturated"] = float(np.mean(np.abs(last["tanh, N(0,1)"]) > 0.99))
    t, r = nums["tanh, 0.01·N(0,1)"], nums["ReLU, He"]
    finding = (
        f"With N(0,1) weights {nums['tanh, N(0,1)']['saturated']:.0%} of the tanh units "
        f"of layer 5 are saturated; 0.01·N(0,1) shrinks the variance to "
        f"{t['variance'][-1]:.1e} by layer 5 (from {t['variance'][0]:.1e}); Glorot keeps "
        f"tanh's layer-5/layer-1 variance ratio at {nums['tanh, Glorot']['ratio']:.2f} and "
        f"He keeps ReLU's at {r['ratio']:.2f} (Glorot with ReLU: "
        f"{nums['ReLU, Glorot']['ratio']:.2f}; N(0,1) with ReLU: "
        f"{nums['ReLU, N(0,1)']['ratio']:.1e})."
    )
    report = "\n".join(
        f"  {k:<20} " + " ".join(f"{v:9.2e}" for v in p) for k, p in profiles.items()
    )
    path = save_plot(
        plots.plot_layer_profile,
        profiles,
        os.path.join(out, "lab_init.png"),
        "activation variance",
        "5 layers of 100 units: initialisation",
    )
    return LabResult("init", finding, nums, path, "variance per layer 1..5\n" + report)
