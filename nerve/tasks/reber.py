"""The embedded Reber grammar: next-symbol prediction that needs a long memory.

Only a network that remembers the second symbol across the whole inner string can
predict the second-to-last one; the task's headline metric is that accuracy.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import nerve.nn.functional as F
from nerve import nn
from nerve.data import DataLoader, Dataset
from nerve.data.sequences import INDEX, SYMBOLS, EmbeddedReber
from nerve.tasks.base import Task, register
from nerve.tasks.config import TaskConfig, option
from nerve.tensor import Tensor

PAD = len(SYMBOLS)  # an extra token id for padding (its embedding row stays zero)
IGNORE = -100


class ReberBatches(Dataset):
    """Strings as (input ids (B, T) padded with PAD, targets (B, T) with IGNORE on
    padding): each input symbol's target is the symbol after it."""

    def __init__(self, strings: list[str]) -> None:
        self.strings = strings

    def __len__(self) -> int:
        return len(self.strings)

    def __getitem__(self, i: int):
        x, y = self._fetch_batch([i])
        return x[0], y[0]

    def _fetch_batch(self, indices) -> list:
        picked = [self.strings[i] for i in np.asarray(indices).tolist()]
        n = max(len(s) for s in picked) - 1
        x = np.full((len(picked), n), PAD, np.int64)
        y = np.full((len(picked), n), IGNORE, np.int64)
        for row, s in enumerate(picked):  # strings are short: a loop over the batch only
            ids = [INDEX[c] for c in s]
            x[row, : len(s) - 1], y[row, : len(s) - 1] = ids[:-1], ids[1:]
        return [Tensor._wrap(x), Tensor._wrap(y)]


class ReberNet(nn.Module):
    """Embedding -> recurrent layer (LSTM, GRU or RNN) -> Linear; padding is read from
    the PAD ids, so padded steps neither change the state nor get gradient."""

    def __init__(self, cell: str = "LSTM", hidden: int = 16) -> None:
        super().__init__()
        self.embed = nn.Embedding(PAD + 1, 8, padding_idx=PAD)
        self.rnn = getattr(nn, cell)(8, hidden, batch_first=True)
        self.head = nn.Linear(hidden, len(SYMBOLS))

    def forward(self, x):
        lengths = (x != PAD).sum(1).numpy()
        y, _ = self.rnn(self.embed(x), lengths=lengths)
        return self.head(y)


def masked_loss(logits, y):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=IGNORE)


def long_range_accuracy(logits, y) -> float:
    """Accuracy on the second-to-last symbol (T or P, decided by the second one)."""
    target = y.numpy()
    last = (target != IGNORE).sum(1) - 2  # the step that predicts the closing T/P
    rows = np.arange(len(target))
    return float((logits.numpy()[rows, last].argmax(-1) == target[rows, last]).mean())


@dataclasses.dataclass
class ReberConfig(TaskConfig):
    epochs: int = 15
    batch_size: int = 32
    lr: float = 1e-2
    hidden: int = option(16, "units of the recurrent layer")
    cell: str = option("LSTM", "the recurrent layer: LSTM, GRU or RNN")
    train_size: int = option(3000, "training strings drawn from the grammar", at_least=1)


@register
class ReberTask(Task):
    name = "reber"
    description = "embedded Reber grammar: an LSTM (or --set cell=RNN) must remember"
    Config = ReberConfig
    metrics = [long_range_accuracy]

    def loaders(self):
        n = self.config.train_size
        train = ReberBatches(EmbeddedReber(n, seed=1).strings)
        val = ReberBatches(EmbeddedReber(300, seed=3).strings)
        test = ReberBatches(EmbeddedReber(500, seed=2).strings)
        bs = self.config.batch_size
        return (
            DataLoader(train, batch_size=bs, shuffle=True),
            DataLoader(val, batch_size=500),
            DataLoader(test, batch_size=500),
        )

    def build_model(self) -> nn.Module:
        cell = self.config.cell
        if cell not in ("LSTM", "GRU", "RNN"):
            raise ValueError(f"reber: cell must be LSTM, GRU or RNN, got '{cell}'")
        return ReberNet(cell, self.config.hidden)

    def loss_fn(self):
        return masked_loss
