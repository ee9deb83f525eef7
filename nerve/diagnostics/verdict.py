"""The verdict: a GradientMonitor's numbers turned into named problems and remedies.

Each rule names the problem with its numbers ("gradient norm at layer 1 is 2.1e-07 of
layer 10's: vanishing gradients") and lists the remedies the lectures give, fitted to the
network: no "use ReLU" for a net that has no sigmoid or tanh, no "use an LSTM" for an
LSTM. The thresholds are deliberately far from what a healthy network shows, so a healthy one
gets no false alarm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

VANISH = 1e-3  # first layer's gradient norm below this fraction of the last one's
EXPLODE_DEPTH = 1e3  # ... or above this multiple
GROWTH = 1e3  # the total gradient norm growing this much during training
UPDATE = 1.0  # an update as large as the weights themselves
DEAD = 0.5  # fraction of ReLU units that never activate
SATURATED = 0.5  # fraction of sigmoid/tanh outputs in the flat tails
WINDOW = 5  # the latest sampled steps the activation rules look at
MIN_EXAMPLES = 16  # examples a dead-unit judgement needs (one example kills half the units)

REMEDIES = {
    "vanishing": [
        "ReLU or leaky ReLU instead of sigmoid/tanh",
        "Glorot (sigmoid/tanh) or He (ReLU) initialisation: nerve.nn.init",
        "residual connections (nerve.models.resnet.BasicBlock)",
        "batch normalisation (nn.BatchNorm1d/2d)",
    ],
    "exploding": [
        "a lower learning rate",
        "gradient clipping: fit(..., clip_grad_norm=1.0) or nn.utils.clip_grad_norm_",
        "Glorot/He initialisation",
        "normalised inputs",
    ],
    "dead_relu": [
        "leaky ReLU or PReLU (a non-zero slope for x < 0 lets dead units recover)",
        "a lower learning rate",
        "He initialisation and zero (not negative) biases",
    ],
    "saturated": [
        "smaller initial weights: Glorot initialisation",
        "normalised inputs",
        "ReLU, which does not saturate for x > 0",
    ],
    "vanishing_time": [
        "an LSTM or GRU instead of a plain RNN",
        "shorter dependencies or truncated BPTT over what must be remembered",
    ],
    "exploding_time": [
        "gradient clipping (nn.utils.clip_grad_norm_)",
        "a lower learning rate",
        "an LSTM or GRU instead of a plain RNN",
    ],
}
_ORTHOGONAL = (
    "orthogonal recurrent weights (nn.init.orthogonal_ on weight_hh_l0): "
    "singular values of 1, so ‖∂hₜ/∂hₜ₋₁‖ neither shrinks nor grows at the start"
)
# Through time, per recurrent layer: an LSTM or GRU already has the gated, additive state
# path a plain RNN lacks; what helps it is opening that path (the gate biases).
TIME_REMEDIES = {
    ("vanishing_time", "RNN"): [
        "an LSTM or GRU instead of a plain RNN (an additive, gated "
        "state path carries the gradient)",
        _ORTHOGONAL,
    ],
    ("vanishing_time", "LSTM"): [
        "a forget-gate bias of 1 to 3 (bias_ih_l0[H:2H], gate order "
        "i, f, g, o): over T steps the cell keeps about σ(b_f)^T "
        "of its gradient, 0.5^20 ≈ 1e-6 at b_f = 0, 0.95^20 ≈ 0.36 "
        "at b_f = 3",
        _ORTHOGONAL,
    ],
    ("vanishing_time", "GRU"): [
        "an update-gate bias of 1 to 3 (bias_ih_l0[H:2H], gate order r, "
        "z, n; h' = (1 - z) n + z h): z near 1 keeps the state and its "
        "gradient from step to step",
        _ORTHOGONAL,
    ],
    ("exploding_time", "RNN"): [
        "gradient clipping (nn.utils.clip_grad_norm_)",
        "a lower learning rate",
        _ORTHOGONAL,
        "an LSTM or GRU instead of a plain RNN",
    ],
    ("exploding_time", "LSTM"): [
        "gradient clipping (nn.utils.clip_grad_norm_)",
        "a lower learning rate",
        _ORTHOGONAL,
    ],
}
TIME_REMEDIES[("exploding_time", "GRU")] = TIME_REMEDIES[("exploding_time", "LSTM")]


@dataclass
class Finding:
    """One problem: a short name, the sentence with the numbers, the remedies."""

    problem: str
    message: str
    numbers: dict = field(default_factory=dict)
    advice: list | None = None  # remedies fitted to the layer; None: the problem's own list

    @property
    def remedies(self) -> list[str]:
        return list(self.advice) if self.advice is not None else REMEDIES.get(self.problem, [])

    def __str__(self) -> str:
        return f"{self.message}\n  remedies: " + "; ".join(self.remedies)


@dataclass
class Diagnosis:
    """The findings (empty: healthy) and a one-line summary of the health numbers."""

    findings: list
    summary: str

    @property
    def healthy(self) -> bool:
        return not self.findings

    @property
    def problems(self) -> list[str]:
        return [f.problem for f in self.findings]

    def __str__(self) -> str:
        if self.healthy:
            return f"healthy: {self.summary}"
        return "\n".join(str(f) for f in self.findings) + f"\n({self.summary})"


def diagnose(monitor) -> Diagnosis:
    """Apply every rule to a GradientMonitor's samples."""
    dead = _activations(monitor)
    depth = _depth(monitor)
    if any(f.problem == "dead_relu" for f in dead):
        # a layer behind dead units gets no gradient at all: the dead units are the cause
        depth = [f for f in depth if not (f.problem == "vanishing" and f.numbers["first"] == 0)]
    findings = _nonfinite(monitor) + depth + _growth(monitor) + dead + _through_time(monitor)
    return Diagnosis(findings, _summary(monitor, stated=bool(depth)))


def _finite_samples(monitor) -> list:
    return [s for s in monitor.samples if math.isfinite(s.grad_norm)]


def _nonfinite(monitor) -> list:
    step = monitor.nonfinite_step
    if step is None:
        return []
    before = [s.grad_norm for s in _finite_samples(monitor) if s.step < step]
    peak = max(before) if before else math.nan
    loss = next(v for v in monitor.losses if not math.isfinite(v))
    msg = (
        f"loss became {loss} at step {step} after the gradient norm reached {peak:.3g}: "
        "exploding gradients"
    )
    anomaly = monitor.anomaly.first if monitor.anomaly is not None else None
    if anomaly is not None:
        msg += f"; the first non-finite value: {anomaly} (step {monitor.anomaly_step})"
    return [Finding("exploding", msg, {"step": step, "grad_norm": peak})]


def layer_medians(monitor) -> dict:
    """{layer index: median gradient norm over the finite sampled steps}: the measurement
    the depth rule (and the vanishing lab) reads."""
    samples = _finite_samples(monitor)
    out = {}
    for layer in monitor.layers:
        vals = [s.layers[layer.index]["grad_norm"] for s in samples if layer.index in s.layers]
        if vals:
            out[layer.index] = float(np.median(vals))
    return out


def _depth(monitor) -> list:
    med = layer_medians(monitor)
    if len(med) < 3:
        return []
    first, last = min(med), max(med)
    g1, gl = med[first], med[last]
    if gl <= 0:
        return []
    ratio = g1 / gl
    nums = {"ratio": ratio, "first": g1, "last": gl}
    if ratio < VANISH:
        advice = REMEDIES["vanishing"]
        if not {"sigmoid", "tanh"} & {a.kind for a in monitor.activations}:
            advice = advice[1:]  # no saturating activation seen: "use ReLU" does not fit
        return [
            Finding(
                "vanishing",
                f"gradient norm at layer {first} is {ratio:.2g} of layer "
                f"{last}'s ({g1:.3g} vs {gl:.3g}): vanishing gradients",
                nums,
                advice,
            )
        ]
    if ratio > EXPLODE_DEPTH:
        return [
            Finding(
                "exploding",
                f"gradient norm at layer {first} is {ratio:.3g} times "
                f"layer {last}'s ({g1:.3g} vs {gl:.3g}): exploding gradients",
                nums,
            )
        ]
    return []


def _growth(monitor) -> list:
    if monitor.nonfinite_step is not None:
        return []  # already reported, with its numbers
    samples = _finite_samples(monitor)
    norms = [s.grad_norm for s in samples if s.grad_norm > 0]
    ratios = [
        r["update_ratio"]
        for s in samples
        for r in s.layers.values()
        if math.isfinite(r["update_ratio"])
    ]
    if len(norms) >= 3 and max(norms) / norms[0] > GROWTH:
        growth = max(norms) / norms[0]
        return [
            Finding(
                "exploding",
                f"the gradient norm grew {growth:.3g}-fold, from "
                f"{norms[0]:.3g} to {max(norms):.3g}: exploding gradients",
                {"growth": growth},
            )
        ]
    if ratios and max(ratios) > UPDATE:
        return [
            Finding(
                "exploding",
                f"an update was {max(ratios):.3g} times the size of the "
                "weights it changed (healthy: about 1e-3): the learning rate is too "
                "high, gradients explode",
                {"update_ratio": max(ratios)},
            )
        ]
    return []


def _activations(monitor) -> list:
    stop = monitor.nonfinite_step
    recent = [s for s in monitor.samples if stop is None or s.step < stop][-WINDOW:]
    out = []
    for act in monitor.activations:
        seen = [s.activations[act.name] for s in recent if act.name in s.activations]
        if not seen:
            continue
        if act.kind == "relu":
            out += _dead(act, seen)
        else:
            frac = float(np.mean([c["saturated"] for c in seen]))
            if frac >= SATURATED:
                out.append(
                    Finding(
                        "saturated",
                        f"{frac:.0%} of the outputs of {act.label} are "
                        f"saturated (beyond {0.99}: derivative < 0.01 of its "
                        "maximum): the units have stopped learning",
                        {"fraction": frac, "layer": act.after},
                    )
                )
    return out


def _dead(act, seen) -> list:
    if sum(c["n"] for c in seen) < MIN_EXAMPLES:
        return []
    masks = [c["active"] for c in seen if c["active"].shape == seen[0]["active"].shape]
    ever = np.logical_or.reduce(masks)
    dead = 1.0 - float(ever.mean())
    if dead < DEAD:
        return []
    return [
        Finding(
            "dead_relu",
            f"{dead:.0%} of the units of {act.label} never activate "
            f"(over the last {sum(c['n'] for c in seen)} examples): dead ReLUs",
            {"fraction": dead, "layer": act.after},
        )
    ]


def _through_time(monitor) -> list:
    if not monitor.samples:
        return []
    out = []
    kinds = {name or "model": type(m).__name__ for name, m in monitor.model.named_modules()}
    for name, norms in monitor.samples[-1].time_norms.items():
        if len(norms) < 10 or not np.isfinite(norms).all() or norms.max() <= 0:
            continue
        ratio = float(norms[0] / norms.max())
        reach = int(np.sum(norms >= VANISH * norms.max()))
        nums = {"ratio": ratio, "steps": len(norms), "reach": reach}
        kind = kinds.get(name)
        if ratio < VANISH:
            advice = TIME_REMEDIES.get(("vanishing_time", kind), REMEDIES["vanishing_time"][:1])
            advice = advice + [
                f"dependencies of at most about {reach} steps (shorter sequences, or a loss at "
                f"more steps): only {reach} of the {len(norms)} steps get 1e-3 of the largest "
                f"gradient, so truncated BPTT need not reach further back than that"
            ]
            out.append(
                Finding(
                    "vanishing_time",
                    f"‖∂L/∂h₁‖ of {name} ({kind}) is "
                    f"{ratio:.2g} of its largest step's over {len(norms)} steps: "
                    "vanishing gradients through time",
                    nums,
                    advice,
                )
            )
        elif norms[0] / max(norms[-1], 1e-30) > EXPLODE_DEPTH:
            out.append(
                Finding(
                    "exploding_time",
                    f"‖∂L/∂h₁‖ of {name} ({kind}) is "
                    f"{norms[0] / norms[-1]:.3g} times ‖∂L/∂h_T‖: exploding "
                    "gradients through time",
                    nums,
                    TIME_REMEDIES.get(("exploding_time", kind)),
                )
            )
    return out


def _summary(monitor, stated: bool = False) -> str:
    """The health numbers in one line; ``stated``: a finding already gives the layer-1 /
    layer-L ratio, which is then not repeated."""
    n = len(monitor.samples)
    if not n:
        return "nothing sampled yet (call begin_step/end_step, or pass it to fit)"
    parts = [f"{n} sampled steps of {monitor.step}"]
    med = layer_medians(monitor)
    if len(med) >= 2 and med[max(med)] > 0 and not stated:
        parts.append(
            f"gradient norm layer {min(med)}/layer {max(med)} = {med[min(med)] / med[max(med)]:.2g}"
        )
    ratios = [
        r["update_ratio"]
        for s in monitor.samples
        for r in s.layers.values()
        if math.isfinite(r["update_ratio"])
    ]
    if ratios:
        parts.append(f"median update/weight ratio {np.median(ratios):.2g}")
    recent = monitor.samples[-1].activations
    dead = [c["dead"] for c in recent.values() if "dead" in c]
    sat = [c["saturated"] for c in recent.values() if "saturated" in c]
    if dead:
        parts.append(f"most dead ReLUs in a layer {max(dead):.0%}")
    if sat:
        parts.append(f"most saturated units in a layer {max(sat):.0%}")
    return ", ".join(parts)
