"""How a Tensor prints: PyTorch's layout, so that output can be compared by eye."""

from __future__ import annotations

import numpy as np

from nerve import dtypes


def _float_formatter(arr: np.ndarray):
    """PyTorch's print style: ``1.`` when all values are whole numbers, else 4 decimals,
    scientific when the magnitudes span more than 1000x or leave [1e-4, 1e8]."""
    finite = np.abs(arr[np.isfinite(arr)]).astype(np.float64)
    nonzero = finite[finite != 0]
    whole = bool(np.all(finite == np.round(finite)))
    sci = nonzero.size and (nonzero.max() > 1e8 or nonzero.max() / nonzero.min() > 1e3
                            or (not whole and nonzero.min() < 1e-4))

    def fmt(v) -> str:
        if not np.isfinite(v):
            return str(float(v))
        if sci:
            return f"{v:.4e}"
        return f"{v:.0f}." if whole else f"{v:.4f}"

    width = max((len(fmt(v)) for v in arr.reshape(-1)), default=0)
    return lambda v: fmt(v).rjust(width)


def format_tensor(t) -> str:
    """``repr`` of a Tensor in PyTorch's layout: values, then size, dtype, grad_fn."""
    arr = t._data
    width = 5 if arr.dtype.kind == "b" and not arr.all() else 4
    formatter = {"bool": lambda v: str(bool(v)).rjust(width)}
    if arr.dtype.kind == "f":
        flat = arr.reshape(-1)
        shown = flat if flat.size <= 1000 else np.concatenate([flat[:3], flat[-3:]])
        formatter["float_kind"] = _float_formatter(shown)
    # PyTorch's 80 columns do not count the "tensor(" prefix
    body = np.array2string(arr, separator=", ", prefix="tensor(", threshold=1000, edgeitems=3,
                           max_line_width=87, formatter=formatter)
    extras = []
    if arr.size == 0 and arr.shape != (0,):
        extras.append(f"size={tuple(arr.shape)}")
    if arr.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool):
        extras.append(f"dtype=nerve.{arr.dtype}")
    if t._ctx is not None:
        extras.append(f"grad_fn=<{t._ctx.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
