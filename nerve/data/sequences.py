"""Symbol sequences for recurrent networks: the (embedded) Reber grammar.

The Reber grammar is a small finite automaton over B T P S X V E; the *embedded* Reber
grammar wraps a Reber string as B (T|P) <Reber string> (T|P) E with the same symbol in
both places, so predicting the second-to-last symbol needs a memory of the second one
across the whole inner string: the classic long-time-lag test that an LSTM passes and a
plain RNN fails (Hochreiter & Schmidhuber, 1997).
"""

from __future__ import annotations

import numpy as np

from nerve import random as _random
from nerve.data.dataset import Dataset
from nerve.tensor import Tensor

SYMBOLS = "BTPSXVE"
INDEX = {s: i for i, s in enumerate(SYMBOLS)}
# state -> [(symbol, next state)], each taken with probability 1/2; None ends the string
_REBER = {
    0: [("T", 1), ("P", 2)],
    1: [("S", 1), ("X", 3)],
    2: [("T", 2), ("V", 4)],
    3: [("X", 2), ("S", 5)],
    4: [("P", 3), ("V", 5)],
    5: [("E", None)],
}


def reber_string(rng: np.random.Generator) -> str:
    """One string of the Reber grammar, "B…E"."""
    out, state = ["B"], 0
    while state is not None:
        options = _REBER[state]
        symbol, state = options[rng.integers(len(options))]
        out.append(symbol)
    return "".join(out)


def embedded_reber_string(rng: np.random.Generator, min_length: int = 0) -> str:
    """B (T|P) <Reber string> (T|P) E with the same T or P twice; the inner string is
    redrawn until the whole string has at least ``min_length`` symbols."""
    inner = reber_string(rng)
    while len(inner) + 4 < min_length:
        inner = reber_string(rng)
    wrap = "TP"[rng.integers(2)]
    return "B" + wrap + inner + wrap + "E"


def embedded_reber(n: int, min_length: int = 0, generator=None) -> list[str]:
    """``n`` embedded Reber strings drawn from nerve's generator (``nerve.manual_seed``)."""
    rng = _random.rng(generator)
    return [embedded_reber_string(rng, min_length) for _ in range(n)]


def allowed_next(string: str) -> np.ndarray:
    """(len - 1, 7) booleans: which symbols the embedded grammar allows after each prefix.

    Only the second-to-last step has a single answer that depends on the distant second
    symbol; the inner steps allow the Reber automaton's two choices."""
    out = np.zeros((len(string) - 1, len(SYMBOLS)), bool)
    out[0, [INDEX["T"], INDEX["P"]]] = True
    state = 0
    for t in range(2, len(string) - 2):  # the inner Reber string runs from index 2
        if string[t] == "B":
            state = 0
        else:
            state = next(nxt for s, nxt in _REBER[state] if s == string[t])
        if state is None:  # after the inner E comes the remembered T or P
            out[t, INDEX[string[1]]] = True
        else:
            out[t, [INDEX[s] for s, _ in _REBER[state]]] = True
    out[1, INDEX["B"]] = True
    out[-1, INDEX["E"]] = True
    return out


def encode(strings: list[str]) -> tuple:
    """Token ids padded with 0 to the longest string, (B, T) int64, and lengths (B,)."""
    lengths = np.array([len(s) for s in strings], np.int64)
    tokens = np.zeros((len(strings), lengths.max(initial=0)), np.int64)
    for i, s in enumerate(strings):
        tokens[i, : len(s)] = [INDEX[c] for c in s]
    return Tensor._wrap(tokens), Tensor._wrap(lengths)


class EmbeddedReber(Dataset):
    """``n`` embedded Reber strings as (tokens (L,) int64) items; ``strings`` keeps the
    text. Batch variable-length items with ``encode`` (padding, lengths)."""

    def __init__(self, n: int, min_length: int = 0, seed: int = 0) -> None:
        self.strings = embedded_reber(n, min_length, _random.Generator().manual_seed(seed))

    def __len__(self) -> int:
        return len(self.strings)

    def __getitem__(self, i: int) -> Tensor:
        return Tensor._wrap(np.array([INDEX[c] for c in self.strings[i]], np.int64))
