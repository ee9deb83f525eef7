"""The rnn-memory lab: a plain RNN against an LSTM and a GRU on the embedded Reber
grammar, where the second-to-last symbol repeats the second one (a long-time lag).

The gradient norms through time come from the recurrent layers' own BPTT
(``record_grad_norms``): ‖∂L/∂hₜ‖ for L the loss of the second-to-last prediction, on
probe strings of one length, so they show how much of that gradient reaches step t.
"""

from __future__ import annotations

import os

import numpy as np

import nerve.nn.functional as F
from nerve import creation, nn, optim
from nerve.autograd.grad_mode import no_grad
from nerve.data.sequences import SYMBOLS, EmbeddedReber, encode
from nerve.diagnostics import plots
from nerve.diagnostics.labs.result import LabResult, save_plot
from nerve.random import manual_seed

KINDS = ("RNN", "LSTM", "GRU")


class ReberNet(nn.Module):
    """Embedding → one recurrent layer → next-symbol logits at every step."""

    def __init__(self, kind: str, hidden: int = 16) -> None:
        super().__init__()
        self.embed = nn.Embedding(len(SYMBOLS), 8)
        self.rnn = getattr(nn, kind)(8, hidden, batch_first=True)
        self.head = nn.Linear(hidden, len(SYMBOLS))

    def forward(self, tokens, lengths):
        y, _ = self.rnn(self.embed(tokens), lengths=lengths)
        return self.head(y)


def _batches(strings: list, batch: int, rng):
    order = rng.permutation(len(strings))
    for i in range(0, len(order), batch):
        tokens, lengths = encode([strings[j] for j in order[i : i + batch]])
        target = tokens.numpy()[:, 1:].copy()
        n = lengths.numpy() - 1
        target[np.arange(target.shape[1])[None, :] >= n[:, None]] = -100  # padding
        yield tokens[:, :-1], creation.from_numpy(target), n


def _train(model, strings, epochs: int, seed: int, lr: float = 1e-2) -> None:
    opt = optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for x, y, n in _batches(strings, 32, rng):
            opt.zero_grad()
            logits = model(x, n).reshape(-1, len(SYMBOLS))
            F.cross_entropy(logits, y.reshape(-1), ignore_index=-100).backward()
            opt.step()


def long_range_accuracy(model, strings: list) -> float:
    """How often the second-to-last symbol (the remembered T or P) is predicted."""
    tokens, lengths = encode(strings)
    n = lengths.numpy() - 1
    with no_grad():
        logits = model(tokens[:, :-1], n).numpy()
    rows = np.arange(len(strings))
    pred = logits[rows, n - 2].argmax(-1)
    return float(np.mean(pred == tokens.numpy()[rows, n - 1]))


def time_grad_norms(model, strings: list) -> np.ndarray:
    """‖∂L/∂hₜ‖ per step, L the summed loss of the second-to-last prediction; the
    strings all have one length."""
    tokens, lengths = encode(strings)
    model.rnn.record_grad_norms = True
    model.zero_grad()
    logits = model(tokens[:, :-1], lengths.numpy() - 1)
    F.cross_entropy(logits[:, -2], tokens[:, -2], reduction="sum").backward()
    model.rnn.record_grad_norms = False
    model.zero_grad()
    return np.asarray(model.rnn.grad_norms[0][0][:-1]) / np.sqrt(len(strings))


def lab_rnn_memory(quick: bool = False, out: str = ".", seed: int = 0) -> LabResult:
    """RNN vs LSTM vs GRU on the embedded Reber grammar: accuracy and ‖∂L/∂hₜ‖."""
    n_train, epochs, length = (3000, 8, 16) if quick else (3000, 12, 20)
    train_set = EmbeddedReber(n_train, 0, seed=seed + 1).strings
    test_set = EmbeddedReber(500, 0, seed=seed + 2).strings
    probe = [s for s in EmbeddedReber(3000, length, seed=seed + 3).strings if len(s) == length][
        :100
    ]
    nums, norms = {}, {}
    for kind in KINDS:
        manual_seed(seed)
        model = ReberNet(kind)
        _train(model, train_set, epochs, seed)
        g = time_grad_norms(model, probe)
        norms[kind] = g
        nums[kind] = {
            "accuracy": long_range_accuracy(model, test_set),
            "grad_ratio": float(g[1] / g[-1]),
        }
    r, lstm, gru = nums["RNN"], nums["LSTM"], nums["GRU"]
    finding = (
        f"On the embedded Reber grammar after {epochs} epochs the remembered symbol is "
        f"predicted {lstm['accuracy']:.0%} of the time by the LSTM, {gru['accuracy']:.0%} "
        f"by the GRU and {r['accuracy']:.0%} by the plain RNN (chance: 50%); "
        f"‖∂L/∂h₂‖/‖∂L/∂h_T‖ over {length - 3} steps is {r['grad_ratio']:.1e} for the RNN, "
        f"{lstm['grad_ratio']:.1e} for the LSTM and {gru['grad_ratio']:.1e} for the GRU."
    )
    path = save_plot(
        plots.plot_time_grad_norms,
        norms,
        os.path.join(out, "lab_rnn_memory.png"),
        f"‖∂L/∂hₜ‖ for the loss at step {length - 2}, after training",
    )
    report = "\n".join(f"  {k:4s} " + " ".join(f"{v:8.1e}" for v in g) for k, g in norms.items())
    return LabResult("rnn-memory", finding, nums, path, "‖∂L/∂hₜ‖, t = 1..T\n" + report)
