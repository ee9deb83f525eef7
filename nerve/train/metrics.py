"""Metrics for ``fit`` and ``evaluate``: each maps a batch's (output, target) to a float.

Every metric is a mean over the batch's samples, so an epoch's value is the mean of the
batch values weighted by batch size, which equals the metric over the whole epoch.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from nerve.backend import array_module
from nerve.tensor import Tensor


def _array(x) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


class Metric:
    """Base class: ``name`` is the key in the logs; ``__call__`` returns a batch mean."""

    name = "metric"

    def __call__(self, output, target) -> float:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class Accuracy(Metric):
    """Fraction of samples whose predicted class equals the target class.

    Multi-class output ``(N, C, *)`` with ``C > 1``: the prediction is the argmax over
    dim 1; the target holds class indices ``(N, *)`` or one-hot / probability rows
    ``(N, C, *)``. Single-output ``(N,)`` or ``(N, 1)``: the prediction is
    ``output > threshold``; the default 0.5 suits probabilities (after a sigmoid), use
    ``threshold=0.0`` for logits (e.g. with ``BCEWithLogitsLoss``).
    """

    name = "accuracy"

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = float(threshold)

    def __call__(self, output, target) -> float:
        out, tgt = _array(output), _array(target)
        if out.ndim >= 2 and out.shape[1] > 1:
            pred = out.argmax(axis=1)
            if tgt.shape == out.shape:
                tgt = tgt.argmax(axis=1)
        else:
            pred = (out > self.threshold).reshape(-1)
            tgt = (tgt > 0.5).reshape(-1)
        if pred.size != tgt.size:
            raise ValueError(
                f"accuracy: output of shape {out.shape} does not match target "
                f"of shape {_array(target).shape}"
            )
        return float((pred.reshape(-1) == tgt.reshape(-1)).mean())  # on any device


class TopKAccuracy(Metric):
    """Fraction of samples whose target class is among the ``k`` largest outputs.

    Output ``(N, C)`` scores, target ``(N,)`` class indices.
    """

    def __init__(self, k: int = 5) -> None:
        if int(k) < 1:
            raise ValueError(f"TopKAccuracy: k must be >= 1, got {k}")
        self.k = int(k)
        self.name = f"top{self.k}_accuracy"

    def __call__(self, output, target) -> float:
        out, tgt = _array(output), _array(target).reshape(-1)
        if out.ndim != 2 or out.shape[0] != tgt.size:
            raise ValueError(
                f"{self.name}: expected output (N, C) and target (N,), got "
                f"{out.shape} and {_array(target).shape}"
            )
        if self.k >= out.shape[1]:
            return 1.0
        # argpartition finds the k largest in O(C) per row, no full sort needed
        top = array_module(out).argpartition(out, -self.k, axis=1)[:, -self.k :]
        return float((top == tgt[:, None]).any(axis=1).mean())  # on the outputs' device


class _Wrapped(Metric):
    """A user callable ``fn(output, target) -> float | Tensor`` as a Metric."""

    def __init__(self, fn: Callable, name: str) -> None:
        self.fn, self.name = fn, name

    def __call__(self, output, target) -> float:
        value = self.fn(output, target)
        return float(value.item() if isinstance(value, Tensor) else value)


_TOPK = re.compile(r"^top[_-]?(\d+)(?:[_-]acc(?:uracy)?)?$")


def get_metric(spec, index: int = 0) -> Metric:
    """A Metric from a name ('accuracy', 'acc', 'top5_accuracy'), a Metric or a callable."""
    if isinstance(spec, Metric):
        return spec
    if isinstance(spec, str):
        key = spec.lower()
        if key in ("accuracy", "acc"):
            return Accuracy()
        match = _TOPK.match(key)
        if match:
            return TopKAccuracy(int(match.group(1)))
        raise ValueError(
            f"unknown metric {spec!r}: use 'accuracy', 'topK_accuracy' "
            "(e.g. 'top5_accuracy'), a Metric or a callable(output, target)"
        )
    if callable(spec):
        name = getattr(spec, "name", None) or getattr(spec, "__name__", "")
        if not name or name.startswith("<"):
            name = f"metric_{index}"
        return _Wrapped(spec, name)
    raise TypeError(f"a metric must be a name, a Metric or a callable, got {type(spec).__name__}")


def get_metrics(specs) -> list[Metric]:
    """Metrics from None, one spec, a list of specs, or a dict {name: callable}."""
    if specs is None:
        return []
    if isinstance(specs, dict):
        metrics: list[Metric] = [_Wrapped(fn, name) for name, fn in specs.items()]
    else:
        if isinstance(specs, str | Metric) or callable(specs):
            specs = [specs]
        metrics = [get_metric(s, i) for i, s in enumerate(specs)]
    names = [m.name for m in metrics]
    if len(set(names)) != len(names):
        raise ValueError(f"metric names must be unique, got {names}")
    if "loss" in names:
        raise ValueError("'loss' is reserved for the loss; give the metric another name")
    return metrics


def accuracy(output, target, threshold: float = 0.5) -> float:
    """Accuracy of one batch; see :class:`Accuracy`."""
    return Accuracy(threshold)(output, target)


def top_k_accuracy(output, target, k: int = 5) -> float:
    """Top-k accuracy of one batch; see :class:`TopKAccuracy`."""
    return TopKAccuracy(k)(output, target)
