"""What a dtype can hold and how dtypes combine: finfo, iinfo, promote_types, can_cast,
result_type, is_floating_point, is_complex (PyTorch's rules, on NumPy dtypes)."""

from __future__ import annotations

import builtins

import numpy as np

from nerve import dtypes


def _dtype(d, op: str) -> np.dtype:
    try:
        return dtypes.to_dtype(d)
    except TypeError:
        raise TypeError(f"{op}: expected a dtype, got {d!r}") from None


def _g(v) -> str:
    return f"{v:g}"


class finfo:  # noqa: N801 - PyTorch's name
    """Machine limits of a floating-point dtype (the default dtype when none is given):
    ``bits``, ``eps`` (1.0's gap to the next number), ``max``, ``min``, ``tiny`` (=
    ``smallest_normal``), ``resolution`` (10^-digits) and ``dtype`` (its name)."""

    def __init__(self, type=None) -> None:  # noqa: A002 - PyTorch's name
        d = dtypes.get_default_dtype() if type is None else _dtype(type, "finfo")
        if not dtypes.is_floating(d):
            raise TypeError(
                f"finfo() requires a floating point input type. Use iinfo to handle '{d}'"
            )
        info = np.finfo(d)  # ml_dtypes gives np.finfo its bfloat16 limits
        self.bits = builtins.int(info.bits)
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        self.resolution = 10.0 ** -builtins.int(info.precision)
        self.dtype = str(d)

    def __eq__(self, other) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={_g(self.resolution)}, min={_g(self.min)}, "
            f"max={_g(self.max)}, eps={_g(self.eps)}, "
            f"smallest_normal={_g(self.smallest_normal)}, tiny={_g(self.tiny)}, "
            f"dtype={self.dtype})"
        )


class iinfo:  # noqa: N801
    """Limits of an integer dtype: ``bits``, ``max``, ``min`` and ``dtype`` (its name)."""

    def __init__(self, type) -> None:
        d = _dtype(type, "iinfo")
        if d.kind == "b":
            raise TypeError(f"{d} is not supported by iinfo")
        if d.kind not in "iu":
            raise TypeError(f"iinfo() requires an integer input type. Use finfo to handle '{d}'")
        info = np.iinfo(d)
        self.bits = builtins.int(info.bits)
        self.max = builtins.int(info.max)
        self.min = builtins.int(info.min)
        self.dtype = str(d)

    def __eq__(self, other) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={_g(self.min)}, max={_g(self.max)}, dtype={self.dtype})"


def promote_types(type1, type2) -> np.dtype:
    """The smallest dtype both convert to without leaving their category: the higher
    category (bool < integer < float) wins outright, so int32 with float16 is float16
    (NumPy says float64); within a category, NumPy's (and PyTorch's) table."""
    a, b = _dtype(type1, "promote_types"), _dtype(type2, "promote_types")
    ca, cb = dtypes.category(a), dtypes.category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def can_cast(from_, to) -> bool:
    """Whether PyTorch's casting rules allow ``from_`` → ``to``: never down a category
    (float to integer, integer to bool); any size within one."""
    a, b = _dtype(from_, "can_cast"), _dtype(to, "can_cast")
    return dtypes.category(a) <= dtypes.category(b)


def result_type(tensor, other) -> np.dtype:
    """The dtype of an arithmetic op on ``tensor`` and ``other`` (tensors or numbers):
    dimensioned tensors before 0-d ones before Python numbers, a lower tier only counting
    when its category is higher (int tensor with 2.5 → the default float dtype)."""

    def value(v):
        if hasattr(v, "_data"):
            return v._data
        if isinstance(v, builtins.bool | builtins.int | builtins.float | np.generic):
            return v
        raise TypeError(f"result_type: expected a Tensor or a number, got {type(v).__name__}")

    return dtypes.result_type(value(tensor), value(other))


def is_floating_point(input) -> bool:  # noqa: A002 - PyTorch's name
    return dtypes.is_floating(input.dtype)


def is_complex(input) -> bool:
    return input.dtype.kind == "c"
