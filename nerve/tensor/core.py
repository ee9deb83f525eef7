"""Tensor: an array, its gradient and the graph node that produced it.

The class is assembled here from topic mixins, one file each in this package, where
every method is declared (shape.py, math.py, compare.py, reduce.py, indexing.py,
linalg.py, inplace.py, inplace_math.py, conversion.py, autograd.py, device.py). This
file holds the data, the properties and the Python protocols (operators, indexing,
conversion to numbers, printing, copying). Nothing here imports an op or the engine:
they sit above Tensor and are reached through the ops table (ops_table.py).
"""

from __future__ import annotations

import builtins

import numpy as np

from nerve import dtypes, printing
from nerve.backend import as_array, to_host
from nerve.backend import device as Device
from nerve.backend.namespaces import MODULES as _MODULES
from nerve.backend.namespaces import array_module
from nerve.tensor.autograd import AutogradMethods
from nerve.tensor.compare import CompareMethods
from nerve.tensor.conversion import ConversionMethods
from nerve.tensor.device import DeviceMethods
from nerve.tensor.indexing import IndexingMethods
from nerve.tensor.inplace import InplaceMethods
from nerve.tensor.inplace_math import InplaceMathMethods
from nerve.tensor.linalg import LinalgMethods
from nerve.tensor.math import MathMethods
from nerve.tensor.ops_table import ops
from nerve.tensor.reduce import ReduceMethods
from nerve.tensor.shape import ShapeMethods
from nerve.tensor.size import Size, _dim

_FLOAT_KINDS = "f"


class Tensor(
    ShapeMethods,
    MathMethods,
    CompareMethods,
    ReduceMethods,
    IndexingMethods,
    LinalgMethods,
    InplaceMethods,
    InplaceMathMethods,
    ConversionMethods,
    AutogradMethods,
    DeviceMethods,
):
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``_data`` is a plain array of the device's array module, ``grad`` a Tensor or
    None, ``_ctx`` the Function that produced it (None for leaves).
    """

    # _vc (the version counter, shared with views) and _view_base (the base of a view) stay
    # unset until a write or a view needs them (nerve/autograd/versions.py), so that making
    # a tensor costs no more than before
    __slots__ = (
        "_data",
        "grad",
        "requires_grad",
        "_ctx",
        "_out_index",
        "_hooks",
        "_vc",
        "_view_base",
        "__weakref__",
    )
    __module__ = "nerve.tensor"  # where programs import it from (and where it used to live)
    __array_priority__ = 1000  # numpy scalars defer to Tensor's reflected operators

    def __init__(self, data=None, requires_grad: bool = False, dtype=None) -> None:
        if data is None:
            data = np.empty(0, dtype=dtypes.get_default_dtype())
        self._init_leaf(to_array(data, dtype, float_default=True), requires_grad)

    def _init_leaf(self, arr, requires_grad: bool) -> None:
        self._data = arr
        self.grad = None
        self._ctx = None
        self._out_index = 0
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, arr) -> Tensor:
        """A leaf around an existing array, without copy or checks (the fast path)."""
        t = object.__new__(Tensor)
        t._data = arr if type(arr) is np.ndarray else as_array(arr)
        t.grad = None
        t.requires_grad = False
        t._ctx = None
        t._out_index = 0
        t._hooks = None
        return t

    def _wrap_grad(self, g) -> Tensor:
        return Tensor._wrap(g)

    # ----- properties -------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """A detached Tensor sharing this one's memory."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else as_array(value)

    @property
    def shape(self) -> tuple:
        return Size(self._data.shape)

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def _version(self) -> int:
        """How many in-place ops have written this tensor, its base or its views."""
        c = getattr(self, "_vc", None)
        return 0 if c is None else c.version

    @property
    def _base(self):
        """The tensor this one is a view of (the root of a chain of views), else None."""
        return getattr(self, "_view_base", None)

    def _is_view(self) -> bool:
        return getattr(self, "_view_base", None) is not None

    @property
    def T(self) -> Tensor:  # noqa: N802
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        return self.transpose(-2, -1)

    def is_floating_point(self) -> bool:
        return dtypes.is_floating(self._data.dtype)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_dim(dim, self.ndim, "size")]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ----- conversion -------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self) -> float:
        return builtins.float(self.item())

    def __int__(self) -> int:
        return builtins.int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous"
            )
        return builtins.bool(self._data.reshape(()))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self._data.reshape(()))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        if type(self._data) is np.ndarray:
            return printing.format_tensor(self)
        return _device_repr(self)

    def __format__(self, format_spec: str) -> str:
        """A 0-d tensor formats as its number (f"{loss:.4f}", f"{t}" gives 65.0), as in
        PyTorch; any other takes only the empty spec, which gives its repr."""
        if self._data.ndim == 0 and type(self) is Tensor:
            return self.item().__format__(format_spec)
        if format_spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __reduce_ex__(self, protocol):
        raise TypeError("nerve tensors are not pickled; use nerve.save (no code runs on load)")

    def __deepcopy__(self, memo) -> Tensor:
        """A new leaf (of the same class, e.g. Parameter) with copied data and grad."""
        if self._ctx is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) "
                "support the deepcopy protocol at the moment"
            )
        t = object.__new__(type(self))
        if hasattr(self, "__dict__"):
            t.__dict__.update(self.__dict__)
        t._data, t._ctx, t._out_index, t._hooks = self._data.copy(), None, 0, None
        t.requires_grad = self.requires_grad
        t.grad = None if self.grad is None else self.grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

    def __copy__(self) -> Tensor:
        t = object.__new__(type(self))
        if hasattr(self, "__dict__"):
            t.__dict__.update(self.__dict__)
        t._data, t._ctx, t._out_index, t._hooks = self._data, self._ctx, self._out_index, None
        t.requires_grad, t.grad = self.requires_grad, self.grad
        return t

    def to(
        self, *args, dtype=None, device=None, copy: bool = False, non_blocking: bool = False
    ) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, str | Device):
                device = a
            else:
                dtype = a
        t = self if device is None else self._to_device(device, copy)
        dtype = dtypes.to_dtype(dtype)
        if dtype is None or dtype == t._data.dtype:
            return t.clone() if copy and t is self else t
        return ops.Cast.apply(t, dtype=dtype)

    def type(self, dtype=None):
        if dtype is None:
            return _TYPE_NAMES.get(self.dtype) or (
                "nerve.BFloat16Tensor" if self.dtype == dtypes.bfloat16 else str(self.dtype)
            )
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        if not isinstance(other, Tensor):
            raise TypeError(
                f"type_as(): argument 'other' (position 1) must be Tensor, not "
                f"{type(other).__name__}"
            )
        return self.to(other.dtype)

    def clone(self) -> Tensor:
        return ops.Clone.apply(self)

    def contiguous(self) -> Tensor:
        """Self when already C-contiguous, else a C-ordered copy (so ``view`` works)."""
        return self if self._data.flags.c_contiguous else ops.Clone.apply(self)

    def is_contiguous(self) -> bool:
        return self._data.flags.c_contiguous

    # ----- arithmetic -------------------------------------------------------------
    def __add__(self, other):
        return ops.Add.apply(self, other)

    def __radd__(self, other):
        return ops.Add.apply(self, other)

    def __sub__(self, other):
        return ops.Sub.apply(self, other)

    def __rsub__(self, other):
        return ops.Sub.apply(other, self)

    def __mul__(self, other):
        return ops.Mul.apply(self, other)

    def __rmul__(self, other):
        return ops.Mul.apply(self, other)

    def __truediv__(self, other):
        return ops.Div.apply(self, other)

    def __rtruediv__(self, other):
        return ops.Div.apply(other, self)

    def __pow__(self, other):
        return ops.Pow.apply(self, other)

    def __rpow__(self, other):
        return ops.Pow.apply(other, self)

    def __neg__(self):
        return ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.Abs.apply(self)

    def __matmul__(self, other):
        return ops.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return ops.MatMul.apply(other, self)

    # ``y += 1`` is in place, as in PyTorch (nerve/ops/inplace/updates.py: in a graph, y is
    # rebound to the result; a leaf that requires grad is refused).
    def __iadd__(self, other):
        return ops.augmented(self, other, "add_")

    def __isub__(self, other):
        return ops.augmented(self, other, "sub_")

    def __imul__(self, other):
        return ops.augmented(self, other, "mul_")

    def __itruediv__(self, other):
        return ops.augmented(self, other, "div_")

    def __floordiv__(self, other):
        return _nograd(np.floor_divide, self, other)

    def __mod__(self, other):
        return _nograd(np.remainder, self, other)

    # ----- comparisons and other ops without gradient -------------------------------
    def __eq__(self, other):  # type: ignore[override]
        return _nograd(np.equal, self, other)

    def __ne__(self, other):  # type: ignore[override]
        return _nograd(np.not_equal, self, other)

    def __lt__(self, other):
        return _nograd(np.less, self, other)

    def __le__(self, other):
        return _nograd(np.less_equal, self, other)

    def __gt__(self, other):
        return _nograd(np.greater, self, other)

    def __ge__(self, other):
        return _nograd(np.greater_equal, self, other)

    def __and__(self, other):
        return _nograd(np.logical_and if self.dtype == dtypes.bool else np.bitwise_and, self, other)

    def __or__(self, other):
        return _nograd(np.logical_or if self.dtype == dtypes.bool else np.bitwise_or, self, other)

    def __xor__(self, other):
        return _nograd(np.logical_xor if self.dtype == dtypes.bool else np.bitwise_xor, self, other)

    def __invert__(self):
        return Tensor._wrap(~self._data)

    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__


_TYPE_NAMES = {
    dtypes.float32: "nerve.FloatTensor",
    dtypes.float64: "nerve.DoubleTensor",
    dtypes.int64: "nerve.LongTensor",
    dtypes.int32: "nerve.IntTensor",
    dtypes.bool: "nerve.BoolTensor",
    dtypes.float16: "nerve.HalfTensor",
}


def _nograd(ufunc, a, b) -> Tensor:
    x = a._data if isinstance(a, Tensor) else a
    y = b._data if isinstance(b, Tensor) else b
    if type(x) is not np.ndarray or type(y) is not np.ndarray and type(y) in _MODULES:
        ufunc = getattr(array_module(x, y), ufunc.__name__)
    try:
        return Tensor._wrap(ufunc(x, y))
    except ValueError as err:
        raise RuntimeError(f"{ufunc.__name__}: {err}") from None


def _device_repr(t) -> str:
    """PyTorch's repr of a device tensor: the host copy's, with ``device='cuda:0'`` first
    among the extras (``tensor([1., 2.], device='cuda:0', requires_grad=True)``)."""
    host = Tensor._wrap(to_host(t._data))
    s = printing.format_tensor(host)[:-1]
    cuts = [i for i in (s.find(", size="), s.find(", dtype=nerve.")) if i >= 0]
    cut = min(cuts) if cuts else len(s)
    grad = (
        f", grad_fn=<{t._ctx.name()}>"
        if t._ctx is not None
        else ", requires_grad=True"
        if t.requires_grad
        else ""
    )
    return f"{s[:cut]}, device='{t.device}'{s[cut:]}{grad})"


def index_arrays(index):
    """Turn Tensors inside an index into arrays."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list) and any(isinstance(i, Tensor) for i in index):
        return [i._data if isinstance(i, Tensor) else i for i in index]
    return index


def to_array(data, dtype=None, float_default: bool = False) -> np.ndarray:
    """Convert user data to an array with PyTorch's dtype rules: Python floats become
    the default float dtype, Python ints int64, NumPy arrays keep their dtype."""
    dtype = dtypes.to_dtype(dtype)
    if isinstance(data, Tensor):
        arr = data._data
    elif type(data) in _MODULES:  # a device array (CuPy, strict) stays where it is
        arr = data
    elif isinstance(data, np.ndarray | np.generic):
        arr = np.asarray(data)
    else:
        if isinstance(data, list | tuple) and any(isinstance(x, Tensor) for x in data):
            data = [x._data if isinstance(x, Tensor) else x for x in data]
        arr = np.asarray(data)
        if arr.dtype == np.float64 and dtype is None:  # a given dtype converts straight
            arr = arr.astype(dtypes.get_default_dtype())  # (no rounding through float32)
        elif arr.dtype.kind in "iu":
            arr = arr.astype(np.int64)
        elif arr.dtype.kind not in "fbc":
            raise TypeError(f"can't convert {type(data).__name__} of dtype {arr.dtype} to a tensor")
    if arr.dtype.kind == "V" and not dtypes.is_floating(arr.dtype):  # bfloat16 is kind V
        raise TypeError(f"can't convert an array of dtype {arr.dtype} to a tensor")
    if float_default and dtype is None and not dtypes.is_floating(arr.dtype):
        dtype = dtypes.get_default_dtype()
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    return arr
