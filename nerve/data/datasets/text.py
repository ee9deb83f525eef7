"""Text corpora and character-level datasets for the character language model.

``pydoc_corpus()`` is Python's own documentation text (``pydoc_data.topics``,
about 465,000 characters; the content varies with the Python version), so a
character model trains with nothing downloaded. ``text_corpus(path)`` reads any
UTF-8 file or folder. ``CharVocab`` maps characters to ids and back and saves as
a plain string; ``CharDataset`` cuts the ids into (input, next-character target)
windows. ``split_text`` keeps the last part of a text for validation: splitting
by position, not at random, so no validation window overlaps a training one.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from nerve.data.dataset import Dataset
from nerve.data.datasets.mnist import DataFileError, DatasetNotFoundError
from nerve.tensor import Tensor


def pydoc_corpus() -> str:
    """Python's documentation topics (``pydoc_data.topics``) as one text, topics sorted."""
    try:
        from pydoc_data.topics import topics
    except ImportError:
        raise DatasetNotFoundError(
            "pydoc_corpus: this Python has no pydoc_data package "
            "(some distributions ship it separately); use "
            "text_corpus(path) with a text file instead"
        ) from None
    return "\n\n".join(topics[key].strip("\n") for key in sorted(topics)) + "\n"


def text_corpus(path: str, pattern: str = "*.txt") -> str:
    """The text of a UTF-8 file, or of every file matching ``pattern`` under a folder.

    Folder files are read recursively, sorted by their relative path components
    (``a/z.txt`` before ``a.txt``, as in a tree listing), and joined, each ending
    with a newline. A byte-order mark is dropped and line ends become ``\\n``.
    """
    root = Path(os.path.expanduser(os.fspath(path)))
    if root.is_file():
        return _read_text(root)
    if not root.is_dir():
        raise DatasetNotFoundError(
            f"text_corpus: {str(root)!r} does not exist; expected a "
            f"UTF-8 text file or a folder of {pattern} files"
        )
    files = sorted(
        (p for p in root.rglob(pattern) if p.is_file()), key=lambda p: p.relative_to(root).parts
    )
    if not files:
        raise DatasetNotFoundError(f"text_corpus: no {pattern} files in folder {str(root)!r}")
    texts = (_read_text(p) for p in files)
    return "".join(t if t.endswith("\n") else t + "\n" for t in texts)


def _read_text(path: Path) -> str:
    try:
        with open(path, encoding="utf-8-sig") as f:
            return f.read()
    except UnicodeDecodeError as e:
        raise DataFileError(
            f"{path}: not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start})"
        ) from None


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """``(train, val)``: the first part and the last ``val_fraction`` of ``text``."""
    if not 0 <= val_fraction < 1:
        raise ValueError(f"split_text: val_fraction must be in [0, 1), got {val_fraction}")
    cut = len(text) - int(round(len(text) * val_fraction))
    return text[:cut], text[cut:]


class CharVocab:
    """The characters of a text, sorted, with ``encode`` (str -> ids) and ``decode``.

    ``state_dict()`` is ``{"chars": "<all characters in id order>"}``, a plain
    string, so a vocabulary can be stored inside a ``nerve.save`` checkpoint.
    """

    def __init__(self, text: str | Iterable[str] = "") -> None:
        chars = sorted(set(text))
        if any(not isinstance(c, str) or len(c) != 1 for c in chars):
            raise TypeError(
                "CharVocab: expected a string or single characters, got "
                f"{[c for c in chars if not isinstance(c, str) or len(c) != 1][:5]}"
            )
        self.chars: list[str] = chars
        self.stoi = {c: i for i, c in enumerate(chars)}
        # sorted() orders by code point, so a binary search maps code points to ids
        self._codes = np.array([ord(c) for c in chars], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: str) -> bool:
        return char in self.stoi

    def __eq__(self, other) -> bool:
        return isinstance(other, CharVocab) and self.chars == other.chars

    __hash__ = None

    @property
    def itos(self) -> list[str]:
        return self.chars

    def encode(self, text: str) -> np.ndarray:
        """The int64 ids of the characters of ``text`` (ValueError for unknown ones)."""
        if not isinstance(text, str):
            raise TypeError(f"CharVocab.encode: expected a str, got {type(text).__name__}")
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        codes = codes.astype(np.int64)
        if not len(self._codes):
            ids, known = np.zeros(len(codes), np.int64), np.zeros(len(codes), bool)
        else:
            ids = np.minimum(np.searchsorted(self._codes, codes), len(self._codes) - 1)
            known = self._codes[ids] == codes
        if not known.all():
            unknown = sorted({chr(c) for c in codes[~known].tolist()})
            raise ValueError(
                f"CharVocab.encode: {len(unknown)} character(s) not in the "
                f"vocabulary of {len(self)}: {''.join(unknown[:20])!r}"
            )
        return ids

    def decode(self, ids) -> str:
        """The text of a 1-D sequence of ids (list, NumPy array or Tensor)."""
        arr = ids._data if isinstance(ids, Tensor) else np.asarray(ids)
        arr = arr.reshape(-1) if arr.ndim == 0 else arr
        if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
            raise ValueError(
                f"CharVocab.decode: expected a 1-D sequence of integer ids, got "
                f"{arr.dtype} of shape {arr.shape}"
            )
        if arr.size and (arr.min() < 0 or arr.max() >= len(self)):
            bad = arr[(arr < 0) | (arr >= len(self))][0]
            raise IndexError(
                f"CharVocab.decode: id {int(bad)} out of range for a vocabulary "
                f"of {len(self)} characters"
            )
        codes = self._codes[arr.astype(np.int64)].astype("<u4")
        return codes.tobytes().decode("utf-32-le", "surrogatepass")

    def state_dict(self) -> dict:
        return {"chars": "".join(self.chars)}

    def load_state_dict(self, state: dict) -> None:
        chars = state.get("chars") if isinstance(state, dict) else None
        if not isinstance(chars, str) or sorted(set(chars)) != list(chars):
            raise ValueError(
                "CharVocab.load_state_dict: expected {'chars': str} of distinct "
                f"sorted characters, got {state!r:.80}"
            )
        self.__init__(chars)

    @classmethod
    def from_state_dict(cls, state: dict) -> CharVocab:
        vocab = cls()
        vocab.load_state_dict(state)
        return vocab

    def __repr__(self) -> str:
        return f"CharVocab(size={len(self)}, chars={''.join(self.chars)[:40]!r})"


class CharDataset(Dataset):
    """Windows of a text for next-character prediction.

    Sample ``i`` is ``(x, y)``, two int64 Tensors of shape ``(seq_len,)``: the ids
    of ``text[i*stride : i*stride + seq_len]`` and of the same window shifted one
    character on, so ``y[t]`` is the character after ``x[t]``. ``stride`` defaults
    to ``seq_len`` (windows side by side, each character a target once per epoch).
    ``vocab`` defaults to the text's own characters. ``text`` may also be ids.
    """

    def __init__(
        self, text, seq_len: int, vocab: CharVocab | None = None, stride: int | None = None
    ) -> None:
        stride = seq_len if stride is None else stride
        for name, value in (("seq_len", seq_len), ("stride", stride)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"CharDataset: {name} must be a positive int, got {value!r}")
        if isinstance(text, str):
            self.vocab = vocab if vocab is not None else CharVocab(text)
            self.ids = self.vocab.encode(text)
        else:
            if vocab is None:
                raise ValueError("CharDataset: ids given without a vocab")
            self.vocab = vocab
            self.ids = np.asarray(text._data if isinstance(text, Tensor) else text, np.int64)
            if self.ids.ndim != 1 or (
                self.ids.size and (self.ids.min() < 0 or self.ids.max() >= len(vocab))
            ):
                raise ValueError(
                    f"CharDataset: expected a 1-D sequence of ids in "
                    f"[0, {len(vocab)}), got shape {self.ids.shape}"
                )
        if len(self.ids) < seq_len + 1:
            raise ValueError(
                f"CharDataset: a text of {len(self.ids)} characters is too short "
                f"for seq_len={seq_len} (needs at least {seq_len + 1})"
            )
        self.seq_len, self.stride = seq_len, stride

    def __len__(self) -> int:
        return (len(self.ids) - self.seq_len - 1) // self.stride + 1

    def __getitem__(self, index: int):
        n = len(self)
        if not isinstance(index, int | np.integer) or isinstance(index, bool):
            raise TypeError(f"CharDataset: index must be an int, got {type(index).__name__}")
        if not -n <= index < n:
            raise IndexError(f"CharDataset: index {index} out of range for {n} windows")
        start = (int(index) % n) * self.stride
        window = self.ids[start : start + self.seq_len + 1]
        return Tensor._wrap(window[:-1].copy()), Tensor._wrap(window[1:].copy())

    def _fetch_batch(self, indices: np.ndarray) -> list:
        starts = np.asarray(indices, dtype=np.int64) * self.stride
        # (B, 1) + (1, seq_len + 1) -> (B, seq_len + 1) positions, one gather for the batch
        windows = self.ids[starts[:, None] + np.arange(self.seq_len + 1)]
        return [Tensor._wrap(windows[:, :-1].copy()), Tensor._wrap(windows[:, 1:].copy())]

    def __repr__(self) -> str:
        return (
            f"CharDataset(windows={len(self)}, seq_len={self.seq_len}, "
            f"stride={self.stride}, vocab={len(self.vocab)})"
        )


def char_datasets(
    text: str, seq_len: int, val_fraction: float = 0.1, stride: int | None = None
) -> tuple[CharDataset, CharDataset, CharVocab]:
    """``(train, val, vocab)``: ``text`` split by position, one vocabulary for both.

    The vocabulary covers the whole text, so every validation character has an id.
    """
    vocab = CharVocab(text)
    train_text, val_text = split_text(text, val_fraction)
    train = CharDataset(vocab.encode(train_text), seq_len, vocab, stride)
    val = CharDataset(vocab.encode(val_text), seq_len, vocab, stride)
    return train, val, vocab


def unigram_perplexity(train_text: str, val_text: str, vocab: CharVocab | None = None) -> float:
    """Perplexity on ``val_text`` of character frequencies counted on ``train_text``.

    The baseline a character model must beat: exp of the mean of -log p(char), with
    add-one smoothing so a character unseen in training costs a finite amount.
    """
    vocab = vocab if vocab is not None else CharVocab(train_text + val_text)
    if not val_text:
        raise ValueError("unigram_perplexity: val_text is empty")
    counts = np.bincount(vocab.encode(train_text), minlength=len(vocab)) + 1.0
    log_p = np.log(counts) - math.log(counts.sum())
    return float(np.exp(-log_p[vocab.encode(val_text)].mean()))
