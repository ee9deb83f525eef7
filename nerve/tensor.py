"""Tensor: an array, its gradient and the graph node that produced it."""

from __future__ import annotations

import builtins

import numpy as np

from nerve import dtypes
from nerve.autograd import grad_mode
from nerve.autograd import hooks as _autograd_hooks
from nerve.autograd.engine import run_backward
from nerve.backend import as_array, to_host
from nerve.backend import device as Device
from nerve.backend.namespaces import MODULES as _MODULES
from nerve.backend.namespaces import array_module
from nerve.tensor_device import DeviceMethods

_FLOAT_KINDS = "f"


class Tensor(DeviceMethods):
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``_data`` is a plain array of the device's array module, ``grad`` a Tensor or
    None, ``_ctx`` the Function that produced it (None for leaves).
    """

    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_out_index", "_hooks",
                 "__weakref__")
    __array_priority__ = 1000  # numpy scalars defer to Tensor's reflected operators

    def __init__(self, data=None, requires_grad: bool = False, dtype=None) -> None:
        from nerve.creation import _to_array  # creation.py builds on this module

        if data is None:
            data = np.empty(0, dtype=dtypes.get_default_dtype())
        self._init_leaf(_to_array(data, dtype, float_default=True), requires_grad)

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
    def T(self) -> Tensor:  # noqa: N802
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        return self.transpose(-2, -1)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind in _FLOAT_KINDS

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
            return _printing.format_tensor(self)
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
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment")
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

    def to(self, *args, dtype=None, device=None, copy: bool = False,
           non_blocking: bool = False) -> Tensor:
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
        return Cast.apply(t, dtype=dtype)

    def type(self, dtype=None):
        if dtype is None:
            return _TYPE_NAMES.get(self.dtype, str(self.dtype))
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        if not isinstance(other, Tensor):
            raise TypeError(f"type_as(): argument 'other' (position 1) must be Tensor, not "
                            f"{type(other).__name__}")
        return self.to(other.dtype)

    # ----- autograd ---------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients, "
                f"got dtype {self._data.dtype}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. Use detach()."
            )
        self.requires_grad = builtins.bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        return Tensor._wrap(self._data)

    def detach_(self) -> Tensor:
        self._ctx = None
        self.requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` that requires grad."""
        if inputs is not None or create_graph:
            from nerve.autograd import backward

            return backward(self, gradient, retain_graph, create_graph, inputs=inputs)
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    "grad can be implicitly created only for scalar outputs "
                    f"(backward() on a tensor of shape {tuple(self.shape)} needs a gradient)"
                )
            grad = array_module(self._data).ones_like(self._data)
        else:
            grad = gradient._data if isinstance(gradient, Tensor) else as_array(gradient)
            if grad.shape != self._data.shape:
                raise RuntimeError(
                    f"backward: gradient has shape {grad.shape}, expected {self._data.shape}"
                )
            grad = grad.astype(self._data.dtype, copy=False)
        if _rebind._Version.live:  # in-place ops rebound tensors: nerve/ops/rebind.py
            _rebind.mend_stale_edges(self)
        mode = grad_mode.state
        prev, mode.enabled = mode.enabled, False
        try:
            if _autograd_hooks._leaves:  # some leaf has hooks: run them on summed grads
                _autograd_hooks.backward_with_leaf_hooks(run_backward, self, grad,
                                                         builtins.bool(retain_graph))
            else:
                run_backward(self, grad, builtins.bool(retain_graph))
        finally:
            mode.enabled = prev

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed (once, on the sum
        over all its uses); it may return a replacement gradient."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._ctx is not None:
            return _autograd_hooks.register_node_hook(self, hook)
        return _autograd_hooks.register_leaf_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after backward has accumulated this leaf's ``.grad``."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._ctx is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        return _autograd_hooks.register_post_accumulate(self, hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` of this non-leaf tensor in backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is not None:
            _autograd_hooks.retain_grad(self)

    @property
    def retains_grad(self) -> bool:
        return _autograd_hooks.retains_grad(self)

    def clone(self) -> Tensor:
        return Clone.apply(self)

    def contiguous(self) -> Tensor:
        """Self when already C-contiguous, else a C-ordered copy (so ``view`` works)."""
        return self if self._data.flags.c_contiguous else Clone.apply(self)

    def is_contiguous(self) -> bool:
        return self._data.flags.c_contiguous

    # ----- arithmetic -------------------------------------------------------------
    def __add__(self, other):
        return Add.apply(self, other)

    def __radd__(self, other):
        return Add.apply(self, other)

    def __sub__(self, other):
        return Sub.apply(self, other)

    def __rsub__(self, other):
        return Sub.apply(other, self)

    def __mul__(self, other):
        return Mul.apply(self, other)

    def __rmul__(self, other):
        return Mul.apply(self, other)

    def __truediv__(self, other):
        return Div.apply(self, other)

    def __rtruediv__(self, other):
        return Div.apply(other, self)

    def __pow__(self, other):
        return Pow.apply(self, other)

    def __rpow__(self, other):
        return Pow.apply(other, self)

    def __neg__(self):
        return Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return Abs.apply(self)

    def __matmul__(self, other):
        return MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return MatMul.apply(other, self)

    # ``y += 1`` is in place, as in PyTorch (nerve/ops/inplace.py: in a graph, y is
    # rebound to the result; a leaf that requires grad is refused).
    def __iadd__(self, other):
        return _inplace.augmented(self, other, "add_")

    def __isub__(self, other):
        return _inplace.augmented(self, other, "sub_")

    def __imul__(self, other):
        return _inplace.augmented(self, other, "mul_")

    def __itruediv__(self, other):
        return _inplace.augmented(self, other, "div_")

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


class Size(tuple):
    """A shape: a tuple that prints as PyTorch's ``Size([...])``."""

    def __repr__(self) -> str:
        return f"nerve.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class _HookHandle:
    def __init__(self, hooks: list, hook) -> None:
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


_TYPE_NAMES = {
    dtypes.float32: "nerve.FloatTensor", dtypes.float64: "nerve.DoubleTensor",
    dtypes.int64: "nerve.LongTensor", dtypes.int32: "nerve.IntTensor",
    dtypes.bool: "nerve.BoolTensor", dtypes.float16: "nerve.HalfTensor",
}


def _dim(dim: int, ndim: int, op: str) -> int:
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return dim % n


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
    s = _printing.format_tensor(host)[:-1]
    cuts = [i for i in (s.find(", size="), s.find(", dtype=nerve.")) if i >= 0]
    cut = min(cuts) if cuts else len(s)
    grad = (f", grad_fn=<{t._ctx.name()}>" if t._ctx is not None else
            ", requires_grad=True" if t.requires_grad else "")
    return f"{s[:cut]}, device='{t.device}'{s[cut:]}{grad})"


def _index(index):
    """Turn Tensors inside an index into arrays."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list) and any(isinstance(i, Tensor) for i in index):
        return [i._data if isinstance(i, Tensor) else i for i in index]
    return index


# The ops import Tensor; importing them last closes the cycle.
from nerve import printing as _printing  # noqa: E402
from nerve.ops import inplace as _inplace  # noqa: E402
from nerve.ops import methods as _methods  # noqa: E402, F401  (attaches the named methods)
from nerve.ops import rebind as _rebind  # noqa: E402
from nerve.ops.elementwise import Abs, Add, Cast, Clone, Div, Mul, Neg, Pow, Sub  # noqa: E402
from nerve.ops.linalg import MatMul  # noqa: E402
