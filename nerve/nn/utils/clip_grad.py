"""Gradient clipping: the remedy for exploding gradients (deep nets, long BPTT)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from nerve.tensor import Tensor


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _total_norm(arrays: list, norm_type: float) -> float:
    """The norm of the per-tensor norms (the max of the maxima for norm_type=inf),
    accumulated in float64."""
    if math.isinf(norm_type):
        return float(max((np.abs(a).max() for a in arrays if a.size), default=0.0))
    norms = [np.linalg.norm(a.reshape(-1).astype(np.float64), ord=norm_type) for a in arrays]
    return float(np.linalg.norm(np.asarray(norms), ord=norm_type))


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The joint norm of the given tensors, as a Tensor of their dtype."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if not tensors:
        return Tensor._wrap(np.zeros((), np.float32))
    total = _total_norm([t._data for t in tensors], float(norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {float(norm_type)} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor._wrap(np.asarray(total, tensors[0].dtype))


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scale all gradients together, in place, so that their joint norm is at most
    ``max_norm``: g ← g · min(1, max_norm / (‖g‖ + 1e-6)).

    Returns the total norm before clipping, as a Tensor.
    """
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if grads:
        coef = float(max_norm) / (float(total._data) + 1e-6)
        if not coef >= 1.0:  # also scales by a NaN coefficient, as PyTorch does
            for g in grads:
                g._data *= np.asarray(coef, g._data.dtype)
    return total


def clip_grads_with_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                          total_norm: Tensor, foreach=None) -> None:
    """Scale the gradients in place by min(1, max_norm / (total_norm + 1e-6)), with a
    ``total_norm`` computed beforehand (e.g. by ``get_total_norm`` over several groups)."""
    grads = _grads(parameters)
    if not grads:
        return
    norm = float(total_norm._data if isinstance(total_norm, Tensor) else total_norm)
    coef = min(float(max_norm) / (norm + 1e-6), 1.0) if norm == norm else float("nan")
    for g in grads:
        g._data *= np.asarray(coef, g._data.dtype)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach=None) -> None:
    """Clamp every gradient element, in place, to [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
