"""Scalar optimizer state kept on the host (ASGD's η and μ, NAdam's Π): float32 0-d
arrays like the step count, read by the updates as Python floats, so reading one costs
no device sync."""

from __future__ import annotations

from nerve.optim.optimizer import new_step


def host_scalar(value: float):
    """A float32 0-d host state value (a Tensor, as PyTorch keeps it in ``state``)."""
    s = new_step()
    s._data[...] = value
    return s
