"""Flatten parameters into one vector and back (for line searches, second-order methods)."""

from __future__ import annotations

from collections.abc import Iterable

from nerve.tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated in order (differentiable)."""
    from nerve.ops.shape.rearrange import cat

    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Point each parameter's data at its slice of ``vec`` (shared memory, as PyTorch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected nerve.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    need = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != need:
        raise RuntimeError(
            f"vector_to_parameters: expected a 1-D vector of {need} elements "
            f"(the parameters' total), got shape {tuple(vec.shape)}"
        )
    pointer = 0
    for p in params:
        n = p.numel()
        p._data = vec._data[pointer : pointer + n].reshape(p._data.shape)
        pointer += n
