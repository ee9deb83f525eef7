"""A character-level language model on Python's own documentation, trained with
truncated BPTT and sampled at several temperatures.

The corpus is ``pydoc_data.topics`` (the text behind ``help('topic')``, about 465,000
characters, shipped with every CPython). 32 parallel streams of the text are read k1
characters at a time; the LSTM state is carried from chunk to chunk (detached: that is
truncated BPTT), and Adam updates after each chunk. Sampling feeds each drawn character
back in: a low temperature is conservative, a high one inventive.

    python examples/charlm.py [--updates 300] [--k1 64] [--hidden 256]
"""

from __future__ import annotations

import argparse
import math
import time
from pydoc_data.topics import topics

import numpy as np

import nerve
import nerve.nn.functional as F
from nerve import nn
from nerve.nn.tbptt import TBPTT, generate


class CharLM(nn.Module):
    def __init__(self, vocab: int, embed: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.rnn = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        y, state = self.rnn(self.embed(x), state)
        return self.head(y), state


def corpus() -> tuple:
    text = "\n\n".join(topics[k] for k in sorted(topics))
    chars = sorted(set(text))
    ids = np.searchsorted(np.array(chars), np.array(list(text)))  # chars is sorted
    return text, chars, ids.astype(np.int64)


def streams(ids: np.ndarray, batch: int) -> np.ndarray:
    """(batch, n) rows that are consecutive stretches of the text."""
    n = len(ids) // batch
    return ids[:n * batch].reshape(batch, n)


def bits_per_char(model, ids: np.ndarray, batch: int = 16, chunk: int = 256) -> float:
    data = streams(ids, batch)
    state, total, count = None, 0.0, 0
    with nerve.no_grad():
        for s in range(0, data.shape[1] - 1, chunk):
            x = nerve.from_numpy(data[:, s:s + chunk])
            y = nerve.from_numpy(data[:, s + 1:s + chunk + 1])
            x = x[:, :y.shape[1]]
            logits, state = model(x, state)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            total, count = total + loss.item() * y.numel(), count + y.numel()
    return total / count / math.log(2)


def train(trainer: TBPTT, data: np.ndarray, args) -> tuple:
    """Stream the text through TBPTT; returns (updates done, seconds)."""
    t0, pos, seen = time.perf_counter(), 0, 0
    span = args.k1 * 10  # ten updates per call; the state carries across calls
    while seen < args.updates:
        if pos + span + 1 > data.shape[1]:
            pos = 0
            trainer.reset()
        x = nerve.from_numpy(data[:, pos:pos + span])
        y = nerve.from_numpy(data[:, pos + 1:pos + span + 1])
        loss = trainer.step(x, y)
        pos, seen = pos + span, seen + 10
        print(f"  update {seen:4d}  train loss {loss / math.log(2):.3f} bits/char  "
              f"({(time.perf_counter() - t0):.0f} s)")
    return seen, time.perf_counter() - t0


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--updates", type=int, default=300)
    p.add_argument("--k1", type=int, default=64)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    nerve.manual_seed(args.seed)
    text, chars, ids = corpus()
    split = int(len(ids) * 0.95)
    data = streams(ids[:split], args.batch)
    print(f"pydoc_data.topics: {len(text):,} characters, {len(chars)} symbols; "
          f"{args.batch} streams of {data.shape[1]:,}")
    model = CharLM(len(chars), 64, args.hidden)
    opt = nerve.optim.Adam(model.parameters(), lr=args.lr)

    def loss_fn(out, y):
        return F.cross_entropy(out.reshape(-1, len(chars)), y.reshape(-1))

    seen, secs = train(TBPTT(model, opt, loss_fn, k1=args.k1, clip_grad_norm=1.0), data,
                       args)
    val = bits_per_char(model, ids[split:])
    print(f"\nvalidation: {val:.3f} bits/char (uniform guessing: "
          f"{math.log2(len(chars)):.2f}) after {seen} updates, "
          f"{seen * args.k1 * args.batch / secs:,.0f} tokens/s")
    prime = "The "
    prime_ids = nerve.tensor([[chars.index(c) for c in prime]])
    for temp in (0.5, 0.8, 1.2):
        nerve.manual_seed(args.seed)
        tokens, _ = generate(model.eval(), prime_ids, 300, temperature=temp)
        sample = prime + "".join(chars[i] for i in tokens.numpy()[0])
        print(f"\n--- temperature {temp} ---\n{sample}")


if __name__ == "__main__":
    main()
