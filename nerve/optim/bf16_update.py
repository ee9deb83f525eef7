"""An optimizer step on bfloat16 parameters: computed in float32, rounded once.

PyTorch's fused optimizers (``fused=True``, on the CPU too) load a bfloat16 parameter,
its gradient and its state into float32, run the whole update there and store the new
parameter and state rounded to bfloat16 once:

    θ, s ← bf16(update(float32(θ), float32(g), float32(s)))

nerve's updates are in-place NumPy ops on raw arrays; on bfloat16 arrays (ml_dtypes)
every one of them would round, a dozen roundings per Adam step. So while a step runs,
the bfloat16 parameters, gradients and state tensors hold float32 copies, and afterwards
their own arrays (the same memory, so views and aliases see it) get the rounded results;
state made during the step (the first step's moments) becomes bfloat16 like its
parameter. The step counter stays float32, as in PyTorch.
"""

from __future__ import annotations

import contextlib

import numpy as np

from nerve.bf16_dtype import is_bf16


def _is_bf16(t) -> bool:
    return t is not None and t._data.dtype.kind == "V" and is_bf16(t._data.dtype)


def _state_tensors(state: dict) -> list:
    return [v for k, v in state.items() if k != "step" and hasattr(v, "_data")]


@contextlib.contextmanager
def float32_update(optimizer):
    """Run the body (an optimizer's update) on float32 copies of its bfloat16 tensors."""
    swapped, params = [], []
    for group in optimizer.param_groups:
        for p in group["params"]:
            if not _is_bf16(p) or p.grad is None:
                continue
            params.append(p)
            state = optimizer.state[p] if p in optimizer.state else {}
            for t in [p, p.grad, *_state_tensors(state)]:
                if _is_bf16(t):
                    swapped.append((t, t._data))
                    t._data = t._data.astype(np.float32)
    try:
        yield
    finally:
        for t, arr in swapped:
            arr[...] = t._data  # rounded to the nearest bfloat16 (ties to even)
            t._data = arr
        for p in params:
            for t in _state_tensors(optimizer.state[p] if p in optimizer.state else {}):
                if t._data.dtype == np.float32 and t._data.shape == p._data.shape:
                    t._data = t._data.astype(p._data.dtype)
