"""The embedded Reber grammar: an LSTM learns the long-range dependency, a plain RNN of
the same size does not.

Strings look like B T <Reber string> T E or B P <Reber string> P E. Trained to predict
the next symbol, a network can only get the second-to-last symbol right by remembering
the second one across the whole inner string (Hochreiter & Schmidhuber, 1997). Both
networks see the same data, batches of variable-length strings (``lengths=``, no
sorting), the same optimiser and the same hidden size.

    python examples/reber.py [--epochs 15] [--hidden 16] [--min-length 0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import nerve
import nerve.nn.functional as F
from nerve import nn
from nerve.data.sequences import SYMBOLS, EmbeddedReber, allowed_next, encode


class Predictor(nn.Module):
    def __init__(self, kind: str, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(len(SYMBOLS), 8)
        self.rnn = getattr(nn, kind)(8, hidden, batch_first=True)
        self.head = nn.Linear(hidden, len(SYMBOLS))

    def forward(self, tokens, lengths):
        y, _ = self.rnn(self.embed(tokens), lengths=lengths)
        return self.head(y)


def batches(strings, batch_size, rng):
    order = rng.permutation(len(strings))
    for i in range(0, len(order), batch_size):
        tokens, lengths = encode([strings[j] for j in order[i:i + batch_size]])
        x, y = tokens[:, :-1], tokens.numpy()[:, 1:].copy()
        steps = np.arange(y.shape[1])[None, :]
        y[steps >= lengths.numpy()[:, None] - 1] = -100  # padding: ignored by the loss
        yield x, nerve.from_numpy(y), lengths.numpy() - 1


def evaluate(model, strings) -> tuple:
    """(accuracy on the second-to-last symbol, fraction of strings with every prediction
    allowed by the grammar)."""
    tokens, lengths = encode(strings)
    with nerve.no_grad():
        logits = model(tokens[:, :-1], lengths.numpy() - 1).numpy()
    pred = logits.argmax(-1)
    long_range = strict = 0
    for i, s in enumerate(strings):
        ok = allowed_next(s)
        n = len(s) - 1
        long_range += bool(ok[n - 2, pred[i, n - 2]])
        strict += bool(ok[np.arange(n), pred[i, :n]].all())
    return long_range / len(strings), strict / len(strings)


def train(kind: str, args, train_set, test_set, quiet: bool = False):
    """Train a fresh model; returns (accuracy, strict accuracy, seconds), or the model
    itself when ``quiet``."""
    nerve.manual_seed(args.seed)
    model = Predictor(kind, args.hidden)
    opt = nerve.optim.Adam(model.parameters(), lr=args.lr)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        total = n = 0
        for x, y, lengths in batches(train_set, 32, rng):
            opt.zero_grad()
            loss = F.cross_entropy(model(x, lengths).reshape(-1, len(SYMBOLS)), y.reshape(-1),
                                   ignore_index=-100)
            loss.backward()
            opt.step()
            total, n = total + loss.item(), n + 1
        if quiet:
            continue
        acc, strict = evaluate(model, test_set)
        print(f"  {kind:4s} epoch {epoch + 1:2d}  loss {total / n:.4f}  "
              f"second-to-last symbol {acc:6.1%}  all steps valid {strict:6.1%}")
    if quiet:
        return model
    return acc, strict, time.perf_counter() - t0


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--hidden", type=int, default=16)
    p.add_argument("--min-length", type=int, default=0)
    p.add_argument("--train", type=int, default=3000)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    train_set = EmbeddedReber(args.train, args.min_length, seed=1).strings
    test_set = EmbeddedReber(500, args.min_length, seed=2).strings
    lengths = [len(s) for s in test_set]
    print(f"embedded Reber: {args.train} training strings, lengths {min(lengths)}-"
          f"{max(lengths)} (mean {np.mean(lengths):.1f}), hidden size {args.hidden}")
    results = {kind: train(kind, args, train_set, test_set) for kind in ("LSTM", "RNN")}
    print("\nresult (500 test strings):")
    for kind, (acc, strict, secs) in results.items():
        print(f"  {kind:4s}: second-to-last symbol right {acc:6.1%}, every step valid "
              f"{strict:6.1%}  ({secs:.0f} s)")


if __name__ == "__main__":
    main()
