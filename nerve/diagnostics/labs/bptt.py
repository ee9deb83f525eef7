"""The bptt lab: how far backpropagation through time reaches in a plain tanh RNN
(the lectures' "practical limit of 10-12 steps"), and truncated BPTT.

For hₜ = tanh(W_ih xₜ + W_hh hₜ₋₁ + b) and a loss L at the last step T,
∂L/∂hₜ₋₁ = (∂L/∂hₜ ⊙ (1 - hₜ²)) W_hh, so the ratio ‖∂L/∂h_{T-k}‖ / ‖∂L/∂h_T‖ is a
product of k Jacobians: below 1 per step it shrinks geometrically. The lab measures it
with nerve's autograd (an ``nn.RNNCell`` unrolled, every hₜ's ``.grad`` kept), at
initialisation and after a short training on a task that needs a 4-step memory (emit
the symbol seen 4 steps ago), and with truncated BPTT (the state detached every K
steps), where the gradient stops exactly K steps back.
"""

from __future__ import annotations

import os

import numpy as np

import nerve.nn.functional as F
from nerve import creation, nn, optim
from nerve.autograd.grad_mode import no_grad
from nerve.diagnostics.labs.result import LabResult, save_plot
from nerve.diagnostics.plots import new_figure, positive_for_log, save_figure
from nerve.random import manual_seed

SYMBOLS, DELAY, THRESHOLD = 4, 4, 1e-2


class DelayNet(nn.Module):
    """One-hot symbols → tanh RNN → the symbol of ``DELAY`` steps ago, at every step."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.rnn = nn.RNN(SYMBOLS, hidden, batch_first=True)
        self.head = nn.Linear(hidden, SYMBOLS)

    def forward(self, x):
        return self.head(self.rnn(x)[0])


def delay_batch(rng, batch: int, steps: int):
    """One-hot inputs (batch, steps, SYMBOLS) and the symbol ids."""
    tokens = rng.integers(0, SYMBOLS, (batch, steps))
    return creation.from_numpy(np.eye(SYMBOLS, dtype=np.float32)[tokens]), tokens


def train(model, rng, steps: int, batch: int, length: int) -> list:
    """Adam on the delay task; the losses per step."""
    opt = optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        x, tokens = delay_batch(rng, batch, length)
        logits = model(x)[:, DELAY:]
        target = creation.from_numpy(tokens[:, :-DELAY].reshape(-1))
        loss = F.cross_entropy(logits.reshape(-1, SYMBOLS), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def reach_ratios(model, x, tokens, truncate: int | None = None) -> np.ndarray:
    """‖∂L/∂h_{T-k}‖ / ‖∂L/∂h_T‖ for k = 0..T-1, L the loss of the last step; with
    ``truncate`` = K the state is detached before every K-th step (truncated BPTT)."""
    rnn = model.rnn
    cell = nn.RNNCell(SYMBOLS, rnn.hidden_size)
    with no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(rnn, name + "_l0"))
    h, states = creation.zeros(x.shape[0], rnn.hidden_size), []
    for t in range(x.shape[1]):
        if truncate and t and t % truncate == 0:
            h = h.detach()
        h = cell(x[:, t], h)
        h.retain_grad()
        states.append(h)
    target = creation.from_numpy(tokens[:, -1 - DELAY])
    F.cross_entropy(model.head(states[-1]), target).backward()
    model.zero_grad()
    norms = [0.0 if s.grad is None else float(np.linalg.norm(s.grad.numpy())) for s in states]
    return np.asarray(norms[::-1]) / norms[-1]


def reach(ratios: np.ndarray, threshold: float = THRESHOLD) -> int:
    """The first step back k whose ratio is below ``threshold`` (len if none is)."""
    below = np.flatnonzero(ratios < threshold)
    return int(below[0]) if below.size else len(ratios)


def plot_reach(curves: dict, cut: int, path: str, title: str) -> str:
    """The ratio against the step back k (log axis, integer ticks), one line per case."""
    from matplotlib.ticker import MaxNLocator

    fig, (ax,) = new_figure(width=7.0, height=4.4)
    for label, v in curves.items():
        # the truncated curve equals the init one up to the cut: a wide band under it
        style = (
            dict(lw=7, alpha=0.35, zorder=1)
            if "truncated" in label
            else dict(marker="o", ms=3, zorder=2)
        )
        ax.semilogy(np.arange(len(v)), positive_for_log(v), label=label, **style)
    ax.axhline(THRESHOLD, color="gray", ls=":", lw=1)
    ax.text(
        0.01,
        THRESHOLD / 1.3,
        "1%",
        color="gray",
        ha="left",
        va="top",
        fontsize=8,
        transform=ax.get_yaxis_transform(),
    )  # at the left edge, under the line
    ax.axvline(cut - 0.5, color="tab:green", ls="--", lw=1)
    ax.text(
        cut - 0.3,
        0.45,
        f"cut at K = {cut}",
        color="tab:green",
        fontsize=8,
        transform=ax.get_xaxis_transform(),
    )  # x in steps, y halfway up the axes
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("steps back k")
    ax.set_ylabel(r"$\|\partial L/\partial h_{T-k}\| \;/\; \|\partial L/\partial h_T\|$")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    return save_figure(fig, path)


def _row(v: np.ndarray, per_line: int = 16) -> str:
    """The ratios to two significant digits, ``per_line`` steps a line."""
    return "\n    ".join(
        " ".join(f"{a:.2g}" for a in v[i : i + per_line]) for i in range(0, len(v), per_line)
    )


def lab_bptt(quick: bool = False, out: str = ".", seed: int = 0) -> LabResult:
    """The gradient ratio per step back, at init, after training, and truncated at K."""
    hidden, length, steps, cut = (32, 32, 30, 8) if quick else (32, 32, 200, 8)
    manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = DelayNet(hidden)
    probe = delay_batch(np.random.default_rng(seed + 1), 64, length)
    at_init = reach_ratios(model, *probe)
    truncated = reach_ratios(model, *probe, truncate=cut)
    losses = train(model, rng, steps, 32, length)
    trained = reach_ratios(model, *probe)
    curves = {
        "at init": at_init,
        f"after {steps} training steps": trained,
        f"at init, truncated BPTT (K = {cut})": truncated,
    }
    nums = {
        "ratios": {k: v.tolist() for k, v in curves.items()},
        "reach": {k: reach(v) for k, v in curves.items()},
        "loss_first": losses[0],
        "loss_last": losses[-1],
        "cut": cut,
    }
    r0, r1 = nums["reach"]["at init"], nums["reach"][f"after {steps} training steps"]
    lines = [
        f"tanh RNN, {hidden} units, {length} steps; L = the loss at the last step T",
        "‖∂L/∂h_{T-k}‖ / ‖∂L/∂h_T‖ for k = 0, 1, 2, ...:",
    ]
    lines += [f"  {label}:\n    {_row(v)}" for label, v in curves.items()]
    lines += [
        f"k = 10, 11, 12 at init: {_row(at_init[10:13])}",
        f"reach (first k with ratio < 1%): at init {r0}, after training {r1}, "
        f"truncated {nums['reach'][f'at init, truncated BPTT (K = {cut})']}",
        f"training on 'emit the symbol of {DELAY} steps ago': cross-entropy "
        f"{losses[0]:.3f} → {losses[-1]:.3f}",
    ]
    finding = (
        f"At init the gradient of the last step's loss falls below 1% of its size "
        f"{r0} steps back (ratio {at_init[10]:.1e} at k = 10, {at_init[12]:.1e} at "
        f"k = 12: the practical limit of 10-12 steps); after {steps} training steps "
        f"on a {DELAY}-step memory task it stays above 1% for {r1} steps; truncated "
        f"BPTT with K = {cut} cuts it to exactly {cut} steps (0 from k = {cut} on)."
    )
    path = save_plot(
        plot_reach,
        curves,
        cut,
        os.path.join(out, "lab_bptt.png"),
        f"how far BPTT reaches: tanh RNN, {hidden} units, loss at step {length}",
    )
    return LabResult("bptt", finding, nums, path, "\n".join(lines))
