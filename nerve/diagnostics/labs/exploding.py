"""The exploding lab: a recurrence with an exponential activation, whose gradient
explodes, and the fix by gradient clipping.

hₜ = exp(W_ih xₜ + W_hh hₜ₋₁ + b), so ∂hₜ/∂hₜ₋₁ = diag(hₜ) W_hh: exp' = exp is
unbounded, and the larger the state the larger each factor of the BPTT product
(tanh's factor diag(1 - hₜ²) W_hh is at most ‖W_hh‖). A large gradient makes a large
SGD step, which grows W_hh, which grows hₜ and the next gradient, until the state
overflows and the loss is inf or NaN. ``nn.utils.clip_grad_norm_`` rescales the
gradient to norm ≤ max_norm, g ← g · min(1, max_norm / ‖g‖), so that no step is longer
than lr · max_norm, and the same run from the same start stays finite.
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np

import nerve.nn.functional as F
from nerve import creation, nn, optim
from nerve.autograd.grad_mode import no_grad
from nerve.diagnostics.labs.result import LabResult, save_plot
from nerve.diagnostics.plots import new_figure, positive_for_log, save_figure
from nerve.random import manual_seed
from nerve.tensor import Tensor

HIDDEN, STEPS_IN_TIME, LR, MAX_NORM = 8, 10, 0.1, 1.0


class ExpRNN(nn.Module):
    """hₜ = φ(W_ih xₜ + W_hh hₜ₋₁ + b), φ = exp (or tanh, to compare); ŷ = Linear(h_T)."""

    def __init__(self, hidden: int = HIDDEN, scale: float = 0.5) -> None:
        super().__init__()
        self.weight_ih = nn.Parameter(creation.randn(hidden, 1) * (scale / math.sqrt(hidden)))
        self.weight_hh = nn.Parameter(creation.randn(hidden, hidden) * (scale / math.sqrt(hidden)))
        self.bias = nn.Parameter(creation.zeros(hidden))
        self.head = nn.Linear(hidden, 1)
        self.activation = Tensor.exp

    def states(self, x) -> list:
        h, states = creation.zeros(x.shape[0], self.weight_hh.shape[0]), []
        for t in range(x.shape[1]):
            h = self.activation(x[:, t] @ self.weight_ih.T + h @ self.weight_hh.T + self.bias)
            states.append(h)
        return states

    def forward(self, x):
        return self.head(self.states(x)[-1])


def task_batch(rng, batch: int = 32):
    """Inputs xₜ ~ U(0, 1), (batch, T, 1); the target is the last input."""
    x = rng.uniform(0.0, 1.0, (batch, STEPS_IN_TIME, 1)).astype(np.float32)
    return creation.from_numpy(x), creation.from_numpy(x[:, -1])


def enlarge_recurrent_weights(model, x, limit: float = 100.0) -> float:
    """Large weights: scale W_hh up in steps of 5% for as long as the last state stays
    below ``limit`` on ``x`` (exp makes the state grow super-exponentially past a
    threshold, so the next step would overflow or nearly); returns the scale."""
    base = model.weight_hh.detach().numpy().copy()
    chosen = 1.0
    with no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for scale in np.arange(1.0, 4.0, 0.05):
            model.weight_hh.copy_(creation.from_numpy(base * np.float32(scale)))
            top = float(np.max(model.states(x)[-1].numpy()))
            if not top <= limit:
                break
            chosen = float(scale)
        model.weight_hh.copy_(creation.from_numpy(base * np.float32(chosen)))
    return chosen


def step_back_ratios(model, x, y) -> np.ndarray:
    """‖∂L/∂h_{T-k}‖ / ‖∂L/∂h_T‖, k = 0..T-1."""
    states = model.states(x)
    for h in states:
        h.retain_grad()
    F.mse_loss(model.head(states[-1]), y).backward()
    model.zero_grad()
    norms = np.array([float(np.linalg.norm(h.grad.numpy())) for h in states[::-1]])
    return norms / norms[0]


def train(model, seed: int, steps: int, max_norm: float | None) -> dict:
    """SGD (lr = LR); the loss and the gradient norm (before clipping) at every step,
    stopping at the first non-finite loss."""
    rng = np.random.default_rng(seed)
    opt = optim.SGD(model.parameters(), lr=LR)
    losses, norms = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the overflow is the lesson
        for _ in range(steps):
            x, y = task_batch(rng)
            loss = F.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            clip = math.inf if max_norm is None else max_norm
            norms.append(nn.utils.clip_grad_norm_(model.parameters(), clip).item())
            losses.append(loss.item())
            if not (math.isfinite(losses[-1]) and math.isfinite(norms[-1])):
                break
            opt.step()
    finite = math.isfinite(losses[-1]) and math.isfinite(norms[-1])
    return {
        "loss": losses,
        "grad_norm": norms,
        "finite": finite,
        "diverged_at": None if finite else len(losses) - 1,
    }


def plot_exploding(runs: dict, ratios: dict, path: str) -> str:
    """Loss and gradient norm per training step (log), and the BPTT ratio per step back."""
    from matplotlib.ticker import MaxNLocator

    fig, axes = new_figure(ncols=3, width=4.0, height=3.8)
    for key, ax in zip(("loss", "grad_norm"), axes):
        for label, run in runs.items():
            v = np.asarray(run[key], dtype=float)
            (line,) = ax.semilogy(np.arange(len(v)), positive_for_log(v), lw=1.2, label=label)
            if run["diverged_at"] is not None:  # the last finite value, then inf/NaN
                last = np.flatnonzero(np.isfinite(v))[-1]
                ax.plot(last, v[last], "x", ms=9, mew=2, color=line.get_color())
                ax.annotate(
                    f"{label}: {run['loss'][-1]:.3g} at step {run['diverged_at']}",
                    (last, v[last]),
                    xytext=(12, -4),
                    textcoords="offset points",
                    fontsize=7,
                    color=line.get_color(),
                    va="top",
                )
        ax.set_xlabel("training step")
        ax.set_ylabel("MSE loss" if key == "loss" else "‖∇L‖ before clipping")
        ax.set_title("loss" if key == "loss" else "gradient norm", fontsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, which="major", alpha=0.3)
    for ax in axes[:2]:  # headroom above the curves for the legend: it covers no data
        low, high = ax.get_ylim()
        ax.set_ylim(low, high * 30)
        ax.legend(loc="upper right", fontsize=7)
    ax = axes[2]
    for (label, v), color in zip(ratios.items(), ("tab:red", "tab:gray")):
        ax.semilogy(np.arange(len(v)), positive_for_log(v), "o-", ms=3, label=label, color=color)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("steps back k")
    ax.set_ylabel(r"$\|\partial L/\partial h_{T-k}\| \;/\; \|\partial L/\partial h_T\|$")
    ax.set_title("BPTT at init, same weights", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower left", fontsize=7)
    fig.suptitle("exponential activation: exploding gradients and clipping", fontsize=11)
    return save_figure(fig, path)


def _outcomes(plain: dict, clipped: dict, steps: int) -> tuple[str, str]:
    """One clause per run: how the unclipped run ended, and the clipped one."""
    g = plain["grad_norm"]
    if plain["finite"]:
        plain_text = f"without clipping this run stayed finite (largest gradient norm {max(g):.3g})"
    else:
        top = max(a for a in g if math.isfinite(a))
        plain_text = (
            f"without clipping a gradient norm of {top:.3g} makes an SGD step "
            f"{LR * top:.3g} long and the loss is {plain['loss'][-1]:.3g} at step "
            f"{plain['diverged_at']}"
        )
    if not clipped["finite"]:
        return plain_text, (
            f"even clipped at max_norm = {MAX_NORM:g} the run diverged at "
            f"step {clipped['diverged_at']}"
        )
    return plain_text, (
        f"clipped at max_norm = {MAX_NORM:g} the same run stays finite for "
        f"all {steps} steps, the loss falling from {clipped['loss'][0]:.3g} to "
        f"{np.mean(clipped['loss'][-20:]):.3g} (the best constant guess: "
        f"{1 / 12:.3g})"
    )


def _from(start: dict, activation=Tensor.exp) -> ExpRNN:
    model = ExpRNN()
    model.load_state_dict(start)
    model.activation = activation
    return model


def lab_exploding(quick: bool = False, out: str = ".", seed: int = 0) -> LabResult:
    """The same exp-RNN trained by SGD with and without gradient clipping."""
    steps = 60 if quick else 200
    manual_seed(seed)
    probe = task_batch(np.random.default_rng(seed + 1), 256)
    model = ExpRNN()
    scale = enlarge_recurrent_weights(model, probe[0])
    start = model.state_dict()
    ratios = {
        name: step_back_ratios(_from(start, act), *probe)
        for name, act in (("exp", Tensor.exp), ("tanh", F.tanh))
    }
    runs = {
        label: train(_from(start), seed, steps, max_norm)
        for label, max_norm in (("no clipping", None), (f"clip_grad_norm_({MAX_NORM:g})", MAX_NORM))
    }
    plain_text, clip_text = _outcomes(*runs.values(), steps)
    k = int(np.argmax(ratios["exp"]))
    nums = {
        "ratios": {name: v.tolist() for name, v in ratios.items()},
        "runs": runs,
        "lr": LR,
        "max_norm": MAX_NORM,
        "steps": steps,
        "scale": scale,
        "growth": float(ratios["exp"][k]),
    }
    lines = [
        f"hₜ = exp(W_ih xₜ + W_hh hₜ₋₁ + b), {HIDDEN} units, T = {STEPS_IN_TIME}, "
        f"target = the last input; SGD lr = {LR}, {steps} steps",
        f"large weights: W_hh ~ N(0, 0.25/{HIDDEN}) scaled by {scale:.2f}, the most (in "
        "steps of 5%) that keeps every h_T below 100 on the probe",
        "‖∂L/∂h_{T-k}‖/‖∂L/∂h_T‖ at init, k = 0..T-1:",
        *(f"  {name:<5}" + " ".join(f"{a:.2g}" for a in v) for name, v in ratios.items()),
        "gradient norm, no clipping, steps 0..: "
        + " ".join(f"{a:.3g}" for a in runs["no clipping"]["grad_norm"][:12]),
        plain_text,
        clip_text,
    ]
    finding = (
        f"With exp as the activation and large recurrent weights the gradient grows "
        f"going back in time, ‖∂L/∂h_(T-{k})‖ = {nums['growth']:.2g} ‖∂L/∂h_T‖ (tanh with "
        f"the same weights: {float(ratios['tanh'][k]):.2g}); {plain_text}; {clip_text}."
    )
    path = save_plot(plot_exploding, runs, ratios, os.path.join(out, "lab_exploding.png"))
    return LabResult("exploding", finding, nums, path, "\n".join(lines))
