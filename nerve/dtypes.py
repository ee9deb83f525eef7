"""Dtypes are NumPy dtypes under PyTorch's names; float32 is the default."""

from __future__ import annotations

import builtins

import numpy as np

float16 = half = np.dtype("float16")
float32 = float = np.dtype("float32")  # noqa: A001 - PyTorch's alias
float64 = double = np.dtype("float64")
int8 = np.dtype("int8")
uint8 = np.dtype("uint8")
int16 = short = np.dtype("int16")
int32 = int = np.dtype("int32")  # noqa: A001
int64 = long = np.dtype("int64")
bool = np.dtype("bool")  # noqa: A001

_default = [float32]


def get_default_dtype() -> np.dtype:
    return _default[0]


def set_default_dtype(dtype) -> None:
    d = to_dtype(dtype)
    if d.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types are supported, got {d}")
    _default[0] = d


def to_dtype(dtype) -> np.dtype | None:
    """Normalise a dtype given as a nerve/NumPy dtype, a type or a name."""
    if dtype is None:
        return None
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unsupported dtype: {dtype!r}") from None


def is_floating_point_dtype(dtype) -> object:
    return np.dtype(dtype).kind == "f"


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _scalar_dtype(v) -> np.dtype | None:
    if isinstance(v, builtins.bool | np.bool_):
        return bool
    if isinstance(v, builtins.int | np.integer):
        return int64
    if isinstance(v, builtins.float | np.floating):
        return get_default_dtype()
    return None


def result_type(*values) -> np.dtype:
    """PyTorch's promotion of arrays (tensors' data) and Python scalars.

    Three tiers: arrays with dimensions, 0-d arrays, then scalars. A lower tier only
    changes the result when its category (bool < integer < float) is higher, so
    float32 * 2.5 and float32 * 0-d float64 stay float32, int64 * 2.5 becomes float32.
    """
    tiers: tuple[list, list, list] = ([], [], [])
    for v in values:
        if isinstance(v, np.ndarray) or hasattr(v, "ndim") and not isinstance(v, np.generic):
            tiers[0 if v.ndim else 1].append(v.dtype)  # a NumPy or a device array
        else:
            d = _scalar_dtype(v)
            if d is not None:
                tiers[2].append(d)
    result, best = None, -1
    for tier in tiers:
        if not tier:
            continue
        cat = builtins.max(_CATEGORY[d.kind] for d in tier)
        if cat > best:
            result, best = np.result_type(*(d for d in tier if _CATEGORY[d.kind] == cat)), cat
    return get_default_dtype() if result is None else result
