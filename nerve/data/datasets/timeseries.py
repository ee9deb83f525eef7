"""Small sequence tasks for recurrent networks, generated on the fly (no files).

- ``noisy_sine``: predict the next value(s) of a sine wave from a noisy window.
- ``system_identification``: learn an unknown nonlinear plant from its input and
  output (Narendra and Parthasarathy's classic example).
- ``hello``: the toy of learning to output "ello" from "hell", one character a step.

Inputs are batch-first, ``(N, T, features)``, for ``nn.RNN/LSTM/GRU(...,
batch_first=True)``. Every task draws from its own generator seeded by ``seed``
and ``split``, so the data never depends on the global seed and the train and
test splits are independent draws.
"""

from __future__ import annotations

import numpy as np

from nerve.data.dataset import TensorDataset
from nerve.data.datasets.text import CharVocab
from nerve.tensor import Tensor

_SPLITS = ("train", "test")


def _rng(task: str, split: str, seed: int) -> np.random.Generator:
    if split not in _SPLITS:
        raise ValueError(f"{task}: split must be one of {_SPLITS}, got {split!r}")
    return np.random.default_rng([seed, _SPLITS.index(split)])


def _check_sizes(task: str, **sizes: int) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{task}: {name} must be a positive int, got {value!r}")


def noisy_sine(
    num_samples: int = 1000,
    window: int = 20,
    horizon: int = 1,
    noise_std: float = 0.1,
    split: str = "train",
    seed: int = 0,
) -> TensorDataset:
    """Sine waves of random period (10 to 40 steps) and phase, seen through noise.

    s(t) = sin(2π t / period + phase);  x(t) = s(t) + ε,  ε ~ N(0, noise_std²).

    Sample ``(x, y)``: ``x`` float32 ``(window, 1)`` the noisy values at
    t = 0 .. window-1, ``y`` float32 ``(horizon,)`` the clean values at
    t = window .. window+horizon-1. The dataset's tensors are ``(N, window, 1)``
    and ``(N, horizon)``. Predicting the clean continuation from noisy
    observations, the best possible mean squared error is well below noise_std².
    """
    _check_sizes("noisy_sine", num_samples=num_samples, window=window, horizon=horizon)
    if noise_std < 0:
        raise ValueError(f"noisy_sine: noise_std must be >= 0, got {noise_std}")
    rng = _rng("noisy_sine", split, seed)
    period = rng.uniform(10.0, 40.0, size=(num_samples, 1))
    phase = rng.uniform(0.0, 2 * np.pi, size=(num_samples, 1))
    t = np.arange(window + horizon)
    clean = np.sin(2 * np.pi * t / period + phase)  # (N, window + horizon)
    noisy = clean[:, :window] + noise_std * rng.standard_normal((num_samples, window))
    x = noisy[:, :, None].astype(np.float32)  # (N, window) -> (N, window, 1)
    y = clean[:, window:].astype(np.float32)
    return TensorDataset(Tensor._wrap(x), Tensor._wrap(y))


def plant(y: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The unknown system: y(k+1) = y(k) / (1 + y(k)²) + u(k)³."""
    return y / (1.0 + y * y) + u**3


def system_identification(
    num_samples: int = 1000,
    window: int = 10,
    noise_std: float = 0.0,
    split: str = "train",
    seed: int = 0,
) -> TensorDataset:
    """Identify a nonlinear plant from its input u and output y.

    The plant is ``plant``: y(k+1) = y(k) / (1 + y(k)²) + u(k)³ (Narendra and
    Parthasarathy, 1990, example 2), driven by u(k) ~ U(-1, 1) from y = 0, run 20
    steps before the window so the start state is forgotten; y stays within ±1.5.

    Sample ``(x, y)``: ``x`` float32 ``(window, 2)`` the pairs (u(k), y(k) + ε) for
    the last ``window`` steps, ε ~ N(0, noise_std²) the measurement noise; ``y``
    float32 ``(1,)`` the true next output y(k+1). Tensors ``(N, window, 2)`` and
    ``(N, 1)``. Trajectories are independent; they are simulated side by side.
    """
    _check_sizes("system_identification", num_samples=num_samples, window=window)
    if noise_std < 0:
        raise ValueError(f"system_identification: noise_std must be >= 0, got {noise_std}")
    rng = _rng("system_identification", split, seed)
    burn_in = 20
    steps = burn_in + window
    u = rng.uniform(-1.0, 1.0, size=(num_samples, steps))
    out = np.zeros((num_samples, steps + 1))
    for k in range(steps):  # over time only: all trajectories advance together
        out[:, k + 1] = plant(out[:, k], u[:, k])
    seen = out[:, burn_in:steps] + noise_std * rng.standard_normal((num_samples, window))
    x = np.stack([u[:, burn_in:], seen], axis=-1).astype(np.float32)  # (N, window, 2)
    y = out[:, steps:].astype(np.float32)  # (N, 1)
    return TensorDataset(Tensor._wrap(x), Tensor._wrap(y))


def hello(word: str = "hello", one_hot: bool = True) -> TensorDataset:
    """The "hello" toy: from each character of "hell", predict the next one, "ello".

    One sample over the vocabulary of the word's characters (``dataset.vocab``, a
    ``CharVocab``; for "hello": e, h, l, o). ``x`` is float32 ``(T, V)`` one-hot
    (or int64 ids ``(T,)`` with ``one_hot=False``, for an Embedding) of
    ``word[:-1]``, ``y`` int64 ``(T,)`` the ids of ``word[1:]``; T = len(word) - 1,
    V = len(vocab). The tensors are ``(1, T, V)`` (or ``(1, T)``) and ``(1, T)``.
    """
    if not isinstance(word, str) or len(word) < 2:
        raise ValueError(f"hello: word must be a string of at least 2 characters, got {word!r}")
    vocab = CharVocab(word)
    ids = vocab.encode(word)
    x = ids[None, :-1]
    if one_hot:
        x = np.eye(len(vocab), dtype=np.float32)[x]  # (1, T) -> (1, T, V)
    dataset = TensorDataset(Tensor._wrap(x), Tensor._wrap(ids[None, 1:].copy()))
    dataset.vocab, dataset.word = vocab, word
    return dataset
