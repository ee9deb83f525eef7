"""Dtypes are NumPy dtypes under PyTorch's names; float32 is the default.

``bfloat16`` is the exception: a placeholder for ml_dtypes's NumPy dtype, loaded on first
use (nerve/bf16_dtype.py). Test "is it floating point" with :func:`is_floating`, not
``dtype.kind == "f"``: bfloat16's NumPy kind is 'V'."""

from __future__ import annotations

import builtins

import numpy as np

from nerve.bf16_dtype import bfloat16, in_use, is_bf16

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
    if not is_floating(d):
        raise TypeError(f"set_default_dtype: only floating-point types are supported, got {d}")
    _default[0] = d


def to_dtype(dtype) -> np.dtype | None:
    """Normalise a dtype given as a nerve/NumPy dtype, a type or a name."""
    if dtype is None:
        return None
    if dtype is bfloat16 or isinstance(dtype, str) and dtype == "bfloat16":
        return in_use()  # ImportError naming ml_dtypes when it is missing
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unsupported dtype: {dtype!r}") from None


def is_floating(dtype) -> bool:
    """Whether ``dtype`` (a dtype, a type or a name) is a real floating-point dtype:
    NumPy's kind 'f' (float16, float32, float64) or bfloat16 (kind 'V')."""
    if dtype is bfloat16:
        return True
    d = dtype if isinstance(dtype, np.dtype) else to_dtype(dtype)
    return d.kind == "f" or d.kind == "V" and is_bf16(d)


def is_floating_point_dtype(dtype) -> object:
    return is_floating(dtype)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def category(d: np.dtype) -> int:
    """PyTorch's promotion category of a NumPy dtype: bool 0, integer 1, float 2 (bfloat16
    too), complex 3; TypeError for a dtype no tensor holds."""
    c = _CATEGORY.get(d.kind)
    if c is None:
        if not is_bf16(d):
            raise TypeError(f"unsupported dtype: {d}")
        c = 2
    return c


def _scalar_dtype(v) -> np.dtype | None:
    if isinstance(v, builtins.bool | np.bool_):
        return bool
    if isinstance(v, builtins.int | np.integer):
        return int64
    if (
        isinstance(v, builtins.float | np.floating)
        or isinstance(v, np.generic)
        and is_bf16(v.dtype)
    ):  # a NumPy bfloat16 scalar counts as a Python float
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
        cat = builtins.max(category(d) for d in tier)
        if cat > best:
            result, best = np.result_type(*(d for d in tier if category(d) == cat)), cat
    return get_default_dtype() if result is None else result
