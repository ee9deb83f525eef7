"""How a Tensor prints: PyTorch's layout, so that output can be compared by eye."""

from __future__ import annotations

import sys

import numpy as np

from nerve import dtypes

# torch.set_printoptions' state (nerve.set_printoptions changes it)
PRINT_OPTIONS = {
    "precision": 4,
    "threshold": 1000,
    "edgeitems": 3,
    "linewidth": 80,
    "sci_mode": None,
}
_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, float("inf"), 3, 80),
}


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """PyTorch's print options: digits after the point, the element count above which
    only ``edgeitems`` per edge are shown, the line width, a profile ("default", "short",
    "full") and ``sci_mode`` (None: automatic; like PyTorch, every call resets it)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(
                f"set_printoptions: unknown profile {profile!r}, expected one "
                f"of {sorted(_PROFILES)}"
            )
        keys = ("precision", "threshold", "edgeitems", "linewidth")
        PRINT_OPTIONS.update(zip(keys, _PROFILES[profile]))
    for key, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            PRINT_OPTIONS[key] = value
    PRINT_OPTIONS["sci_mode"] = sci_mode


def _float_formatter(arr: np.ndarray):
    """PyTorch's print style: ``1.`` when all values are whole numbers, else 4 decimals,
    scientific when the magnitudes span more than 1000x or leave [1e-4, 1e8]."""
    finite = np.abs(arr[np.isfinite(arr)]).astype(np.float64)
    nonzero = finite[finite != 0]
    whole = bool(np.all(finite == np.round(finite)))
    sci = nonzero.size and (
        nonzero.max() > 1e8
        or nonzero.max() / nonzero.min() > 1e3
        or (not whole and nonzero.min() < 1e-4)
    )
    if PRINT_OPTIONS["sci_mode"] is not None:
        sci = PRINT_OPTIONS["sci_mode"]
    digits = PRINT_OPTIONS["precision"]

    def fmt(v) -> str:
        if not np.isfinite(v):
            return str(float(v))
        if sci:
            return f"{v:.{digits}e}"
        return f"{v:.0f}." if whole else f"{v:.{digits}f}"

    width = max((len(fmt(v)) for v in arr.reshape(-1)), default=0)
    return lambda v: fmt(v).rjust(width)


def _line_width(ndim: int, width: int) -> int:
    """NumPy's line width that puts as many elements on a line as PyTorch does:
    ⌊(linewidth - indent) / (width + 2)⌋, the indent being "tensor(" plus one per
    nesting level; NumPy fits k elements in 7 + 2 · level + k (width + 2) columns."""
    level = max(ndim - 1, 0)
    per_line = max(1, (PRINT_OPTIONS["linewidth"] - 7 - level) // (width + 2))
    return 7 + 2 * level + per_line * (width + 2)


def format_tensor(t) -> str:
    """``repr`` of a Tensor in PyTorch's layout: values, then size, dtype, grad_fn."""
    arr, dtype = t._data, t._data.dtype
    if dtype.kind == "V" and dtypes.is_floating(dtype):
        arr = arr.astype(np.float32)  # bfloat16 values, printed as the floats they are
    width = 5 if arr.dtype.kind == "b" and not arr.all() else 4
    formatter = {"bool": lambda v: str(bool(v)).rjust(width)}
    flat = arr.reshape(-1)
    edge = PRINT_OPTIONS["edgeitems"]
    shown = (
        flat
        if flat.size <= PRINT_OPTIONS["threshold"]
        else np.concatenate([flat[:edge], flat[-edge:]])
    )
    if arr.dtype.kind == "f":
        formatter["float_kind"] = _float_formatter(shown)
        width = len(formatter["float_kind"](shown[0])) if shown.size else 0
    elif arr.dtype.kind in "iu":
        width = max((len(str(v)) for v in shown.tolist()), default=0)
    threshold = PRINT_OPTIONS["threshold"]
    body = np.array2string(
        arr,
        separator=", ",
        prefix="tensor(",
        threshold=sys.maxsize if threshold == float("inf") else threshold,
        edgeitems=PRINT_OPTIONS["edgeitems"],
        max_line_width=_line_width(arr.ndim, width),
        formatter=formatter,
    )
    extras = []
    if arr.size == 0 and arr.shape != (0,):
        extras.append(f"size={tuple(arr.shape)}")
    if dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool):
        extras.append(f"dtype=nerve.{dtype}")
    if t._ctx is not None:
        extras.append(f"grad_fn=<{t._ctx.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
