"""A character-level LSTM language model on Python's own documentation text."""

from __future__ import annotations

import dataclasses
import math

import nerve.nn.functional as F
from nerve import nn
from nerve.creation import tensor
from nerve.data import DataLoader
from nerve.tasks.base import Task, register
from nerve.tasks.config import TaskConfig, option


class CharLM(nn.Module):
    """Embedding -> LSTM (batch first) -> [dropout] -> Linear to the vocabulary at every step.

    ``forward(x, state)`` takes ids (B, T) and returns (logits (B, T, V), state).
    ``dropout`` applies to the LSTM's outputs (and between its layers, if several)."""

    def __init__(
        self,
        vocab_size: int,
        embed: int = 64,
        hidden: int = 256,
        layers: int = 1,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(
            embed,
            hidden,
            num_layers=layers,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, x, state=None):
        y, state = self.lstm(self.embed(x), state)
        if self.drop.p:  # no draw at all when off, so runs without dropout keep their RNG
            y = self.drop(y)
        return self.head(y), state


def sequence_loss(out, y):
    """Mean cross-entropy over every step: logits (B, T, V) against ids (B, T)."""
    logits = out[0] if isinstance(out, tuple) else out
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


@dataclasses.dataclass
class CharLMConfig(TaskConfig):
    epochs: int = 6
    batch_size: int = 32
    lr: float = 3e-3
    hidden: int = option(256, "units of each LSTM layer")
    clip: float | None = 1.0
    seq_len: int = option(64, "characters per training sequence (the BPTT length)", at_least=1)
    embed: int = option(64, "size of the character embedding", at_least=1)
    layers: int = option(1, "stacked LSTM layers", at_least=1)
    dropout: float = option(0.0, "dropout on the LSTM's outputs (and between its layers)")
    max_chars: int = option(0, "train on the text's first N characters (0: the whole text)")
    text: str = option("", "a UTF-8 file or folder to train on (empty: Python's documentation)")


@register
class CharLMTask(Task):
    name = "charlm"
    description = "character-level LSTM language model on Python's documentation text"
    Config = CharLMConfig
    metrics: list = []

    def __init__(self, config=None) -> None:
        super().__init__(config)
        self.vocab = None
        self._text = None

    def _corpus(self) -> str:
        from nerve.data.datasets import pydoc_corpus, text_corpus

        if self._text is None:
            path = self.config.text
            text = text_corpus(path) if path else pydoc_corpus()
            limit = self.config.max_chars
            self._text = text[:limit] if limit > 0 else text
        return self._text

    def loaders(self):
        from nerve.data.datasets import char_datasets, unigram_perplexity

        text = self._corpus()
        train, val, vocab = char_datasets(text, self.config.seq_len)
        if self.vocab is not None and self.vocab != vocab:
            raise ValueError(
                "charlm: the text's characters differ from the checkpoint's "
                "vocabulary (was it trained on another text?)"
            )
        self.vocab = vocab
        n_val = len(val.ids)
        self.baseline = unigram_perplexity(text[:-n_val], text[-n_val:], vocab)
        bs = self.config.batch_size
        return (
            DataLoader(train, batch_size=bs, shuffle=True, drop_last=True),
            DataLoader(val, batch_size=256),
            DataLoader(val, batch_size=256),
        )

    def build_model(self) -> nn.Module:
        if self.vocab is None:
            self.loaders()
        c = self.config
        return CharLM(len(self.vocab), c.embed, c.hidden, c.layers, c.dropout)

    def loss_fn(self):
        return sequence_loss

    def extra_state(self) -> dict:
        return {"vocab": self.vocab.state_dict()} if self.vocab is not None else {}

    def load_extra_state(self, state: dict) -> None:
        from nerve.data.datasets import CharVocab

        if "vocab" in state:
            self.vocab = CharVocab.from_state_dict(state["vocab"])

    def report(self, model, test_metrics: dict) -> dict:
        out = {"loss": test_metrics["loss"], "perplexity": math.exp(test_metrics["loss"])}
        if getattr(self, "baseline", None):
            out["unigram_perplexity"] = self.baseline
        return out

    def generate(self, model, length: int, temperature: float, prime: str) -> str:
        from nerve.nn.tbptt import generate

        unknown = [ch for ch in prime if ch not in self.vocab]
        if unknown:
            raise ValueError(
                f"charlm: prime has characters outside the vocabulary: {''.join(unknown)!r}"
            )
        model.eval()
        device = next(iter(model.parameters())).device
        ids = tensor(self.vocab.encode(prime), device=device).reshape(1, -1)
        tokens, _ = generate(model, ids, length, temperature)
        return prime + self.vocab.decode(tokens[0])
