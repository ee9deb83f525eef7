"""PyTorch's legacy typed constructors: ``nerve.LongTensor([1, 2])``, ``FloatTensor(2, 3)``.

Each is a class whose call makes a Tensor of its dtype, from data (a list, an array) or
from sizes (uninitialised values, as in PyTorch); ``isinstance(x, nerve.FloatTensor)``
is true for a float32 tensor, as ``isinstance(x, torch.FloatTensor)`` is.
"""

from __future__ import annotations

import numpy as np

from nerve.tensor import Tensor

__all__ = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor",
           "HalfTensor", "IntTensor", "LongTensor", "ShortTensor"]


class _LegacyType(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args, device=None):
        if device is not None:
            from nerve.backend import check_device

            check_device(device)
        if not args:
            return Tensor._wrap(np.empty(0, cls.dtype))
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return Tensor._wrap(np.empty(args, cls.dtype))
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype != cls.dtype:
                raise TypeError(f"{cls.__name__}: expected a tensor of dtype {cls.dtype}, got "
                                f"one of dtype {args[0].dtype}")
            return args[0]
        if len(args) == 1 and not isinstance(args[0], str | bytes | int | float):
            data = np.asarray(getattr(args[0], "_data", args[0]))
            if data.dtype.kind not in "biuf":
                raise TypeError(f"new(): invalid data type '{type(args[0]).__name__}'")
            return Tensor._wrap(data.astype(cls.dtype))
        raise TypeError(f"{cls.__name__}(): expected sizes (ints) or one sequence of "
                        f"numbers, got {tuple(type(a).__name__ for a in args)}")


def _legacy(name: str, dtype) -> type:
    return _LegacyType(name, (), {"dtype": np.dtype(dtype), "__module__": "nerve",
                                  "__doc__": f"A {np.dtype(dtype)} tensor, the legacy way."})


FloatTensor = _legacy("FloatTensor", np.float32)
DoubleTensor = _legacy("DoubleTensor", np.float64)
HalfTensor = _legacy("HalfTensor", np.float16)
LongTensor = _legacy("LongTensor", np.int64)
IntTensor = _legacy("IntTensor", np.int32)
ShortTensor = _legacy("ShortTensor", np.int16)
CharTensor = _legacy("CharTensor", np.int8)
ByteTensor = _legacy("ByteTensor", np.uint8)
BoolTensor = _legacy("BoolTensor", np.bool_)
