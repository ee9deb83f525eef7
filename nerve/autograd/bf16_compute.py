"""How a Function runs on bfloat16 arrays: in float32, rounded to bfloat16 once.

PyTorch's CPU kernels for bfloat16 load every element into float32, compute there
(sums and matrix products accumulate there too) and round the result once:

    y = bf16(f(float32(x₁), float32(x₂), …))      bf16(v) = v rounded to nearest even
                                                   at 8 significant bits

NumPy with ml_dtypes instead accumulates a bfloat16 sum in bfloat16
(``np.ones(1000, bf16).sum()`` is 256), returns float32 from a bfloat16 matmul and has
no bfloat16 einsum. So, once bfloat16 is in use, ``Function.apply`` hands ``forward``
float32 copies of its bfloat16 input arrays and rounds its float32 results to bfloat16
when PyTorch's promotion of the inputs (nerve.dtypes.result_type) is bfloat16: bfloat16
with a Python float or an integer tensor stays bfloat16, bfloat16 with a float32 or
float16 tensor gives float32. An op given ``dtype=`` makes the dtype it was asked for.
``backward`` likewise gets float32 copies of bfloat16 upstream gradients; the engine
reduces each input gradient over broadcast axes (in float32) and then rounds it to its
input's dtype.

Ops that only move or view elements (reshape, permute, indexing, cat, casts) declare
``bf16_native = True`` and run on the bfloat16 arrays themselves, so views stay views.
Inside an enabled ``nerve.amp.autocast("cpu", dtype=nerve.bfloat16)`` region the matrix
products first round their float32 inputs to bfloat16, as PyTorch's CPU autocast does.
"""

from __future__ import annotations

import numpy as np

from nerve.bf16_dtype import numpy_dtype
from nerve.dtypes import result_type

_F32 = np.dtype(np.float32)
_bf16: list = []  # the NumPy bfloat16 dtype, set on first use
# The ops that run in bfloat16 inside an enabled CPU autocast region (nerve/amp fills
# it: the matrix products) and the region's on/off switch.
autocast_cpu = [False]


def loaded() -> None:
    _bf16.append(numpy_dtype())


def widen(cls, arrays: list, autocast_ops) -> tuple | None:
    """(arrays with every bfloat16 one as a float32 copy, the dtype PyTorch's promotion
    gives) when one of them is bfloat16 (after CPU autocast's rounding, for the matrix
    products); else None, and the op runs as it would without bfloat16.

    For ops with ``bf16_round_operands`` (add, sub, pow) a Python number or 0-d operand
    is first rounded to bfloat16 when the result is bfloat16, as PyTorch converts every
    operand to the result dtype (its mul and div keep a Python number exact)."""
    bf16, cast = _bf16[0], ()
    if autocast_cpu[0] and cls in autocast_ops:
        rounded = [_round_for_autocast(a) for a in arrays]
        cast = tuple(i for i, (a, r) in enumerate(zip(arrays, rounded)) if a is not r)
        arrays = rounded
    if not any(getattr(a, "dtype", None) == bf16 for a in arrays):
        return None
    want = result_type(*arrays)
    wide = [a.astype(_F32) if getattr(a, "dtype", None) == bf16 else a for a in arrays]
    if cls.bf16_round_operands and want == bf16:
        wide = [_rounded_operand(a, bf16) for a in wide]
    return wide, want, cast


def _rounded_operand(a, bf16):
    if type(a) is float or type(a) is int:
        return float(np.float32(np.asarray(a, dtype=bf16)))
    if getattr(a, "ndim", None) == 0 and a.dtype != _F32 and a.dtype.kind in "fiu":
        return a.astype(bf16).astype(_F32)
    return a


def _round_for_autocast(a):
    # PyTorch's autocast casts float16 and float32 CPU tensors, never float64
    if type(a) is np.ndarray and a.dtype.kind == "f" and a.itemsize <= 4:
        return a.astype(_bf16[0])
    return a


def narrow(fn, out, want, params: dict):
    """``forward``'s result with its float32 arrays rounded to bfloat16 when PyTorch's
    promotion of the inputs, ``want``, is bfloat16 (and no ``dtype=`` asked otherwise).
    An output ``fn`` saved for its backward (tanh's y, softmax's p) is replaced by the
    rounded values, as PyTorch saves the bfloat16 result."""
    if params.get("dtype") is not None or want != _bf16[0]:
        return out
    outs = out if type(out) is tuple else (out,)
    rounded = tuple(_round(o) for o in outs)
    saved = fn.__dict__
    for old, new in zip(outs, rounded):
        if new is not old:
            for key, value in saved.items():
                if value is old:
                    saved[key] = new.astype(_F32)
    return rounded if type(out) is tuple else rounded[0]


def _round(a):
    return a.astype(_bf16[0]) if getattr(a, "dtype", None) == _F32 else a


def widen_backward(fn, cast: tuple) -> None:
    """Make ``fn``'s backward take float32 copies of its bfloat16 upstream gradients; the
    gradients of the inputs CPU autocast rounded (positions ``cast``) are rounded to
    bfloat16 too, as PyTorch's come through its bfloat16 op and the cast back."""
    backward, bf16 = fn.backward, _bf16[0]

    def in_float32(*dys):
        grads = backward(*[d.astype(_F32) if d is not None and d.dtype == bf16 else d for d in dys])
        if not cast:
            return grads
        grads = list(grads) if type(grads) is tuple else [grads]
        for i in cast:
            if grads[i] is not None:
                grads[i] = grads[i].astype(bf16)
        return tuple(grads)

    fn.backward = in_float32
