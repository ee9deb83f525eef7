"""Vanishing gradients through time: ‖∂L/∂hₜ‖ for every step t of a plain (Elman) RNN
and an LSTM of the same size, before and after training, as a PNG plot.

Both are trained on the embedded Reber grammar (see reber.py), where the
second-to-last symbol can only be predicted by remembering the second one. L is the
loss at that second-to-last step, on test strings of one length, so ‖∂L/∂hₜ‖ shows how
much of its gradient travels back to step t, the remembered symbol being at t = 1. The
fused recurrent layers record these norms in their own backward
(``record_grad_norms = True``); nothing is unrolled by hand.

    python examples/rnn_gradient_norms.py [--length 20] [--epochs 15] [--out grad_norms.png]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

import nerve
import nerve.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reber import Predictor, evaluate, train  # noqa: E402  (the sibling example)

from nerve.data.sequences import EmbeddedReber, encode  # noqa: E402


def grad_norms(model, strings) -> np.ndarray:
    """Mean over strings of ‖∂L/∂hₜ‖, L the loss of the second-to-last prediction."""
    tokens, lengths = encode(strings)
    x, y = tokens[:, :-1], tokens[:, -2]  # the input up to the last E; predict the T/P
    model.rnn.record_grad_norms = True
    model.zero_grad()
    logits = model(x, lengths.numpy() - 1)
    F.cross_entropy(logits[:, -2], y, reduction="sum").backward()
    model.rnn.record_grad_norms = False
    return model.rnn.grad_norms[0][0][:-1] / np.sqrt(len(strings))


def plot(results: dict, path: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, phase in zip(axes, ("before", "after")):
        for kind, color in (("RNN", "tab:red"), ("LSTM", "tab:blue")):
            norms = results[kind][phase]
            ax.semilogy(np.arange(len(norms)), norms, "o-", ms=3, color=color, label=kind)
        ax.set_title(f"{phase} training")
        ax.set_xlabel("time step t (remembered symbol at t = 1, loss at the end)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    axes[0].set_ylabel("‖∂L/∂hₜ‖")
    fig.suptitle("Gradient norm through time, embedded Reber grammar")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return True


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--length", type=int, default=20, help="length of the probe strings")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--hidden", type=int, default=16)
    p.add_argument("--train", type=int, default=3000)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-length", type=int, default=0)
    p.add_argument("--out", default="grad_norms.png")
    args = p.parse_args(argv)
    train_set = EmbeddedReber(args.train, 0, seed=1).strings
    test_set = EmbeddedReber(500, 0, seed=2).strings
    probe = [s for s in EmbeddedReber(4000, args.length, seed=3).strings
             if len(s) == args.length][:200]
    results = {}
    for kind in ("RNN", "LSTM"):
        nerve.manual_seed(args.seed)
        before = grad_norms(Predictor(kind, args.hidden), probe)
        model = train(kind, args, train_set, test_set, quiet=True)
        results[kind] = {"before": before, "after": grad_norms(model, probe),
                         "accuracy": evaluate(model, probe)[0]}
    print(f"{len(probe)} probe strings of length {args.length}; ‖∂L/∂h₁‖ / ‖∂L/∂h_T‖ "
          "(how much of the gradient reaches the remembered symbol):")
    for kind, r in results.items():
        b, a = r["before"], r["after"]
        print(f"  {kind:4s}: before training {b[1] / b[-1]:.1e}, after {a[1] / a[-1]:.1e}; "
              f"second-to-last symbol right after training: {r['accuracy']:.0%}")
    if plot(results, args.out):
        print(f"plot: {args.out}")
    else:
        print("matplotlib is not installed: no plot (pip install matplotlib)")


if __name__ == "__main__":
    main()
