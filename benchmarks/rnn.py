"""Recurrent workloads: a character language model (vocab 96, embedding 64, one layer of
256, sequence 64, batch 32, a linear layer to the vocabulary at every step,
cross-entropy over all steps, Adam 1e-3) trained with an LSTM ("lstm_train", tokens/s)
or a GRU ("gru_train"), and generation one character at a time at batch 1 with the LSTM
("lstm_generate", µs per character: embedding, one LSTM step, linear, softmax at
temperature 0.8 and a multinomial draw).

``python -m benchmarks.rnn --profile`` breaks nerve's lstm_train step down by phase.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from benchmarks.runner import Workload

VOCAB, EMBED, HIDDEN, SEQ, BATCH = 96, 64, 256, 64, 32
TEMPERATURE = 0.8


def _batch():
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, VOCAB, (BATCH, SEQ + 1)).astype(np.int64)
    return tokens[:, :-1], tokens[:, 1:]


def _nerve_model(kind):
    import nerve
    from nerve import nn

    nerve.manual_seed(0)

    class CharLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, EMBED)
            self.rnn = getattr(nn, kind)(EMBED, HIDDEN, batch_first=True)
            self.head = nn.Linear(HIDDEN, VOCAB)

        def forward(self, x, state=None):
            y, state = self.rnn(self.embed(x), state)
            return self.head(y), state

    return CharLM()


def _torch_model(kind):
    import torch
    from torch import nn

    torch.manual_seed(0)

    class CharLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, EMBED)
            self.rnn = getattr(nn, kind)(EMBED, HIDDEN, batch_first=True)
            self.head = nn.Linear(HIDDEN, VOCAB)

        def forward(self, x, state=None):
            y, state = self.rnn(self.embed(x), state)
            return self.head(y), state

    return CharLM()


def nerve_train(kind):
    def setup():
        import nerve
        import nerve.nn.functional as F

        model = _nerve_model(kind)
        opt = nerve.optim.Adam(model.parameters(), lr=1e-3)
        x, y = (nerve.from_numpy(a) for a in _batch())
        target = y.reshape(-1)

        def step():
            opt.zero_grad()
            logits, _ = model(x)
            F.cross_entropy(logits.reshape(-1, VOCAB), target).backward()
            opt.step()

        return step

    return setup


def torch_train(kind):
    def setup():
        import torch
        import torch.nn.functional as F

        model = _torch_model(kind)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x, y = (torch.from_numpy(a) for a in _batch())
        target = y.reshape(-1)

        def step():
            opt.zero_grad()
            logits, _ = model(x)
            F.cross_entropy(logits.reshape(-1, VOCAB), target).backward()
            opt.step()

        return step

    return setup


def nerve_generate():
    import nerve
    from nerve.nn.tbptt import sample_next

    model = _nerve_model("LSTM").eval()
    state = {"x": nerve.tensor([[1]]), "h": None}

    def step():
        with nerve.no_grad():
            logits, state["h"] = model(state["x"], state["h"])
            state["x"] = sample_next(logits[:, -1], TEMPERATURE).reshape(1, 1)

    return step


def torch_generate():
    import torch

    model = _torch_model("LSTM").eval()
    state = {"x": torch.tensor([[1]]), "h": None}

    def step():
        with torch.no_grad():
            logits, state["h"] = model(state["x"], state["h"])
            probs = torch.softmax(logits[:, -1] / TEMPERATURE, dim=-1)
            state["x"] = torch.multinomial(probs, 1)

    return step


WORKLOADS = [
    Workload(
        "lstm_train",
        "tokens",
        BATCH * SEQ,
        nerve_train("LSTM"),
        torch_train("LSTM"),
        "char LM: vocab 96, embedding 64, LSTM 256, seq 64, batch 32, Adam 1e-3",
    ),
    Workload(
        "gru_train",
        "tokens",
        BATCH * SEQ,
        nerve_train("GRU"),
        torch_train("GRU"),
        "the same char LM with a GRU",
    ),
    Workload(
        "lstm_generate",
        "latency",
        1,
        nerve_generate,
        torch_generate,
        "one character at a time, batch 1, sampling at temperature 0.8",
    ),
]


def profile(kind: str = "LSTM", repeats: int = 20) -> dict:
    """Median milliseconds of each phase of nerve's training step."""
    import nerve
    import nerve.nn.functional as F

    model = _nerve_model(kind)
    opt = nerve.optim.Adam(model.parameters(), lr=1e-3)
    x, y = (nerve.from_numpy(a) for a in _batch())
    target = y.reshape(-1)
    phases = {
        "embedding fwd": [],
        f"{kind} fwd": [],
        "head+loss fwd": [],
        "backward": [],
        "adam": [],
    }
    for _ in range(repeats):
        opt.zero_grad()
        t0 = time.perf_counter()
        e = model.embed(x)
        t1 = time.perf_counter()
        h, _ = model.rnn(e)
        t2 = time.perf_counter()
        loss = F.cross_entropy(model.head(h).reshape(-1, VOCAB), target)
        t3 = time.perf_counter()
        loss.backward()
        t4 = time.perf_counter()
        opt.step()
        t5 = time.perf_counter()
        for k, a, b in zip(phases, (t0, t1, t2, t3, t4), (t1, t2, t3, t4, t5)):
            phases[k].append(b - a)
    return {k: 1e3 * float(np.median(v)) for k, v in phases.items()}


if __name__ == "__main__":
    if "--profile" in sys.argv:
        for kind in ("LSTM", "GRU"):
            print(kind, {k: round(v, 2) for k, v in profile(kind).items()})
