"""PyTorch's legacy typed constructors: ``nerve.LongTensor([1, 2])``, ``FloatTensor(2, 3)``.

Each is a class whose call makes a Tensor of its dtype, from data (a list, an array) or
from sizes (uninitialised values, as in PyTorch); ``isinstance(x, nerve.FloatTensor)``
is true for a float32 tensor, as ``isinstance(x, torch.FloatTensor)`` is.
"""

from __future__ import annotations

import numpy as np

from nerve.backend import check_device
from nerve.dtypes import bfloat16, is_floating, to_dtype
from nerve.tensor import Tensor

__all__ = [
    "BFloat16Tensor",
    "BoolTensor",
    "ByteTensor",
    "CharTensor",
    "DoubleTensor",
    "FloatTensor",
    "HalfTensor",
    "IntTensor",
    "LongTensor",
    "ShortTensor",
]


class _LegacyType(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and cls.dtype == obj.dtype

    def __call__(cls, *args, device=None):
        if device is not None:
            check_device(device)
        if not args:
            return Tensor._wrap(np.empty(0, to_dtype(cls.dtype)))
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return Tensor._wrap(np.empty(args, to_dtype(cls.dtype)))
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype != cls.dtype:
                raise TypeError(
                    f"{cls.__name__}: expected a tensor of dtype {cls.dtype}, got "
                    f"one of dtype {args[0].dtype}"
                )
            return args[0]
        if len(args) == 1 and not isinstance(args[0], str | bytes | int | float):
            data = np.asarray(getattr(args[0], "_data", args[0]))
            if data.dtype.kind not in "biuf" and not is_floating(data.dtype):
                raise TypeError(f"new(): invalid data type '{type(args[0]).__name__}'")
            return Tensor._wrap(data.astype(to_dtype(cls.dtype)))
        raise TypeError(
            f"{cls.__name__}(): expected sizes (ints) or one sequence of "
            f"numbers, got {tuple(type(a).__name__ for a in args)}"
        )


def _legacy(name: str, dtype) -> type:
    d = dtype if dtype is bfloat16 else np.dtype(dtype)  # bfloat16 stays lazy (ml_dtypes)
    return _LegacyType(
        name, (), {"dtype": d, "__module__": "nerve", "__doc__": f"A {d} tensor, the legacy way."}
    )


FloatTensor = _legacy("FloatTensor", np.float32)
DoubleTensor = _legacy("DoubleTensor", np.float64)
HalfTensor = _legacy("HalfTensor", np.float16)
LongTensor = _legacy("LongTensor", np.int64)
IntTensor = _legacy("IntTensor", np.int32)
ShortTensor = _legacy("ShortTensor", np.int16)
CharTensor = _legacy("CharTensor", np.int8)
ByteTensor = _legacy("ByteTensor", np.uint8)
BoolTensor = _legacy("BoolTensor", np.bool_)
BFloat16Tensor = _legacy("BFloat16Tensor", bfloat16)
