"""Gradient clipping: the remedy for exploding gradients (deep nets, long BPTT)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from nerve.backend import array_module
from nerve.tensor import Tensor


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _total_norm(arrays: list, norm_type: float):
    """The norm of the per-tensor norms (the max of the maxima for norm_type=inf),
    accumulated in float64, as a 0-d array on the gradients' device (no host sync)."""
    xp = array_module(*arrays)
    if math.isinf(norm_type):
        maxima = [xp.abs(a).max().astype(xp.float64) for a in arrays if a.size]
        return xp.stack(maxima).max() if maxima else xp.zeros((), xp.float64)
    norms = [xp.linalg.norm(a.reshape(-1).astype(xp.float64), ord=norm_type) for a in arrays]
    return xp.linalg.norm(xp.stack(norms), ord=norm_type)


def get_total_norm(
    tensors: Tensor | Iterable[Tensor],
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """The joint norm of the given tensors, as a Tensor of their dtype."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if not tensors:
        return Tensor._wrap(np.zeros((), np.float32))
    total = _total_norm([t._data for t in tensors], float(norm_type))
    if error_if_nonfinite and not math.isfinite(float(total)):  # the one host sync
        raise RuntimeError(
            f"The total norm of order {float(norm_type)} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor._wrap(total.astype(tensors[0].dtype))


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Scale all gradients together, in place, so that their joint norm is at most
    ``max_norm``: g ← g · min(1, max_norm / (‖g‖ + 1e-6)).

    Returns the total norm before clipping, as a Tensor.
    """
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if grads:
        _scale(grads, max_norm, total._data)
    return total


def _scale(grads: list, max_norm: float, total) -> None:
    """g ← g · min(1, max_norm / (total + 1e-6)) on the device, without a host sync (a
    NaN total scales by NaN, as PyTorch does; a factor of 1 leaves g exact)."""
    xp = array_module(total)
    coef = xp.minimum(float(max_norm) / (total.astype(xp.float64) + 1e-6), 1.0)
    for g in grads:
        g._data *= coef.astype(g._data.dtype)


def clip_grads_with_norm_(
    parameters: Tensor | Iterable[Tensor], max_norm: float, total_norm: Tensor, foreach=None
) -> None:
    """Scale the gradients in place by min(1, max_norm / (total_norm + 1e-6)), with a
    ``total_norm`` computed beforehand (e.g. by ``get_total_norm`` over several groups)."""
    grads = _grads(parameters)
    if not grads:
        return
    total = (
        total_norm._data
        if isinstance(total_norm, Tensor)
        else array_module(grads[0]._data).asarray(float(total_norm))
    )
    _scale(grads, max_norm, total)


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach=None
) -> None:
    """Clamp every gradient element, in place, to [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        array_module(g._data).clip(g._data, -clip_value, clip_value, out=g._data)
