"""The strict device: a CPU stand-in for CUDA that keeps CuPy's rules.

A :class:`StrictArray` holds a NumPy array but, like ``cupy.ndarray``, refuses every
implicit mixing with host memory: ``np.asarray(x)`` raises TypeError ("Implicit conversion
to a NumPy array is not allowed"), NumPy's ufuncs and functions refuse it
(``__array_ufunc__`` / ``__array_function__``), ``ndarray + x`` and ``x + ndarray`` raise,
a NumPy array (even 0-d) as an operand raises, and writing a host array into it raises.
Python and NumPy scalars are fine, and explicit host syncs (``item``, ``tolist``,
``float``, ``bool``, ``.get()``) work, as on CuPy.

:data:`xp` is its namespace, a module-like object mirroring numpy: functions unwrap
StrictArray arguments (also inside lists and tuples), refuse raw NumPy arrays, and wrap
array results (a 0-d result stays an array, as CuPy returns); dtypes and constants pass
through; ufuncs keep only the methods CuPy has (``.at`` for add, subtract, maximum,
minimum and the bitwise ops; ``.reduce`` / ``.accumulate`` for add and multiply;
``.reduceat`` for add). ``xp.random`` mirrors ``cupy.random`` (``default_rng`` included).
With it, every hidden host round trip or stray ``np.`` call in an op fails on CI.
"""

from __future__ import annotations

import operator
import types

import numpy as np

from nerve.bf16_dtype import NOT_ON_CUDA

_IMPLICIT = (
    "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
    "construct a NumPy array explicitly."
)
_SCALARS = (int, float, bool, complex, np.generic)
# numpy functions that copy host data onto the device explicitly (cupy.asarray/array do)
_TRANSFERS = {"asarray", "array", "asanyarray"}
# numpy names CuPy does not have
_MISSING = {"errstate", "seterr", "geterr"}
_UFUNC_METHODS = {
    "at": {"add", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor"},
    "reduce": {"add", "multiply"},
    "accumulate": {"add", "multiply"},
    "reduceat": {"add"},
}


def _unsupported(v) -> TypeError:
    return TypeError(f"Unsupported type {type(v)}")


def _operand(v):
    """An operator's other operand: a StrictArray's data or a scalar; host arrays refused."""
    if type(v) is StrictArray:
        return v._a
    if isinstance(v, _SCALARS):
        return v
    raise _unsupported(v)


def unwrap(v, transfer: bool = False):
    """A function argument: StrictArrays unwrapped (recursively in lists and tuples);
    NumPy arrays refused unless ``transfer`` (an explicit copy to the device)."""
    t = type(v)
    if t is StrictArray:
        return v._a
    if t is list or t is tuple:
        return t(unwrap(e, transfer) for e in v)
    if isinstance(v, np.ndarray):
        if transfer:
            return v.copy()
        raise TypeError(
            f"Unsupported type {t}: a NumPy array cannot be an argument of a "
            "strict-device function; move it with nerve.backend.to_device first"
        )
    return v


def wrap(r):
    """A result: NumPy arrays and scalars become StrictArrays (CuPy returns 0-d arrays)."""
    if isinstance(r, np.ndarray):
        if r.dtype.kind == "V":  # bfloat16 (ml_dtypes): CuPy has none
            raise TypeError(NOT_ON_CUDA)
        return StrictArray(r)
    if isinstance(r, np.generic):
        return StrictArray(np.asarray(r))
    t = type(r)
    if t is tuple or t is list:
        return t(wrap(e) for e in r)
    if isinstance(r, tuple):  # named results (linalg.svd, eigh, slogdet, qr)
        return t(*(wrap(e) for e in r))
    if isinstance(r, np.random.Generator):
        return _Proxy(r)
    return r


def _call(fn, args, kwargs, transfer=False):
    a = [unwrap(v, transfer) for v in args]
    k = {n: unwrap(v, transfer) for n, v in kwargs.items()}
    return wrap(fn(*a, **k))


def _binary(op):
    def forward(self, other):
        return wrap(op(self._a, _operand(other)))

    def reflected(self, other):
        return wrap(op(_operand(other), self._a))

    return forward, reflected


def _inplace(op):
    def method(self, other):
        op(self._a, _operand(other))
        return self

    return method


class StrictArray:
    """A NumPy array behind CuPy's wall; ``.get()`` copies it back to the host."""

    __slots__ = ("_a",)
    __array_priority__ = 10000

    def __init__(self, a: np.ndarray) -> None:
        self._a = a

    # ----- the wall --------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(_IMPLICIT)

    # None: numpy's ufuncs refuse the array and numpy's operators (ndarray + x, and numpy
    # scalars too) hand over to the reflected operators below, which take scalars only
    __array_ufunc__ = None

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(
            f"Unsupported type {type(self)}: numpy.{func.__name__} cannot take a "
            "strict-device array (use the array module from "
            "nerve.backend.array_module)"
        )

    def __dlpack__(self, *args, **kwargs):
        raise BufferError(
            "a strict-device array cannot be exported with DLPack (it stands "
            "in for GPU memory); copy it to the host first"
        )

    def __dlpack_device__(self):
        return (2, 0)  # kDLCUDA, device 0: what a CuPy array on GPU 0 reports

    # ----- explicit host syncs ----------------------------------------------------
    def get(self, stream=None, order="C", out=None) -> np.ndarray:
        return self._a.copy()

    def item(self, *args):
        return self._a.item(*args)

    def tolist(self):
        return self._a.tolist()

    def __float__(self) -> float:
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __complex__(self) -> complex:
        return complex(self._a)

    def __bool__(self) -> bool:
        return bool(self._a)

    def __index__(self) -> int:
        return operator.index(self._a)

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self):
        return (StrictArray(np.asarray(v)) for v in self._a)

    def __repr__(self) -> str:
        return "strict_" + repr(self._a)

    __str__ = __repr__

    # ----- attributes and methods -----------------------------------------------
    @property
    def shape(self):
        return self._a.shape

    @shape.setter
    def shape(self, value) -> None:
        self._a.shape = value

    @property
    def dtype(self):
        return self._a.dtype

    @property
    def T(self):  # noqa: N802
        return StrictArray(self._a.T)

    @property
    def mT(self):  # noqa: N802
        return StrictArray(self._a.mT)

    @property
    def real(self):
        return StrictArray(self._a.real)

    @property
    def imag(self):
        return StrictArray(self._a.imag)

    @property
    def base(self):
        return None if self._a.base is None else StrictArray(self._a.base)

    @property
    def device(self) -> str:
        return "strict"

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        v = getattr(self._a, name)
        if isinstance(v, types.BuiltinMethodType | types.MethodType):
            return lambda *args, **kwargs: _call(v, args, kwargs)
        return v  # shape-like attributes: ndim, size, strides, flags, itemsize, nbytes

    def __getitem__(self, index):
        return wrap(self._a[_index(index)])

    def __setitem__(self, index, value) -> None:
        self._a[_index(index)] = _operand(value)

    def __neg__(self):
        return StrictArray(-self._a)

    def __pos__(self):
        return StrictArray(+self._a)

    def __abs__(self):
        return StrictArray(abs(self._a))

    def __invert__(self):
        return StrictArray(~self._a)

    def __copy__(self):
        return StrictArray(self._a.copy())

    def __deepcopy__(self, memo):
        return StrictArray(self._a.copy())

    def __reduce__(self):
        raise TypeError("strict-device arrays are not pickled")


def _index(index):
    t = type(index)
    if t is StrictArray:
        return index._a
    if t is tuple:
        return tuple(_index(i) for i in index)
    if isinstance(index, np.ndarray):
        raise IndexError(
            f"Unsupported type {t} as an index of a strict-device array: move "
            "the index to the device"
        )
    return index


for _name, _op in [
    ("add", operator.add),
    ("sub", operator.sub),
    ("mul", operator.mul),
    ("truediv", operator.truediv),
    ("floordiv", operator.floordiv),
    ("mod", operator.mod),
    ("pow", operator.pow),
    ("matmul", operator.matmul),
    ("and", operator.and_),
    ("or", operator.or_),
    ("xor", operator.xor),
    ("lshift", operator.lshift),
    ("rshift", operator.rshift),
]:
    _f, _r = _binary(_op)
    setattr(StrictArray, f"__{_name}__", _f)
    setattr(StrictArray, f"__r{_name}__", _r)
    setattr(StrictArray, f"__i{_name}__", _inplace(getattr(operator, f"i{_name}")))
for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    setattr(StrictArray, f"__{_name}__", _binary(getattr(operator, _name))[0])
StrictArray.__hash__ = None


class _Proxy:
    """An object whose methods take and give strict arrays (a random Generator)."""

    def __init__(self, obj) -> None:
        self._obj = obj

    def __getattr__(self, name):
        v = getattr(self._obj, name)
        if callable(v):
            return lambda *args, **kwargs: _call(v, args, kwargs)
        return v


class StrictUfunc:
    """A NumPy ufunc on strict arrays, with only the methods CuPy supports."""

    def __init__(self, ufunc: np.ufunc) -> None:
        self._u = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        return _call(self._u, args, kwargs)

    def __getattr__(self, name):
        allowed = _UFUNC_METHODS.get(name)
        if allowed is not None and self._u.__name__ not in allowed:
            raise NotImplementedError(
                f"{self._u.__name__}.{name} is not supported on the device (CuPy supports "
                f"{name} only for {', '.join(sorted(allowed))}); use a nerve.backend helper"
            )
        v = getattr(self._u, name)
        if callable(v):
            return lambda *args, **kwargs: _call(v, args, kwargs)
        return v

    def __repr__(self) -> str:
        return f"<strict ufunc '{self._u.__name__}'>"


class StrictNamespace:
    """A module-like mirror of numpy (or one of its submodules) for strict arrays."""

    def __init__(self, module, name: str) -> None:
        self._module = module
        self.__name__ = name
        self._cache: dict = {}

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        cache = self.__dict__["_cache"]
        if name in cache:
            return cache[name]
        if name in _MISSING:
            raise AttributeError(
                f"module '{self.__name__}' has no attribute '{name}' (CuPy "
                "has none either; use nerve.backend.errstate)"
            )
        v = getattr(self._module, name)
        if name == "ndarray":
            v = StrictArray
        elif isinstance(v, np.ufunc):
            v = StrictUfunc(v)
        elif isinstance(v, types.ModuleType):
            v = StrictNamespace(v, f"{self.__name__}.{name}")
        elif isinstance(v, type) or not callable(v):
            pass  # dtypes, classes and constants pass through
        else:
            v = _function(v, name in _TRANSFERS)
        cache[name] = v
        return v

    def __repr__(self) -> str:
        return f"<strict namespace {self.__name__}>"


def _function(fn, transfer: bool):
    def strict_function(*args, **kwargs):
        return _call(fn, args, kwargs, transfer)

    strict_function.__name__ = getattr(fn, "__name__", "function")
    strict_function.__doc__ = getattr(fn, "__doc__", None)
    return strict_function


xp = StrictNamespace(np, "strict")
