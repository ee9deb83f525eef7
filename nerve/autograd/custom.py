"""PyTorch-style custom Functions: static ``forward(ctx, ...)`` / ``backward(ctx, ...)``.

    class Sq(nerve.autograd.Function):
        @staticmethod
        def forward(ctx, x, k=2):
            ctx.save_for_backward(x)
            ctx.k = k
            return x ** k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ctx.k * x ** (ctx.k - 1), None

    y = Sq.apply(x, 3)

``Function.__init_subclass__`` (function.py) sees the static ``forward`` and gives the
class :func:`apply` below, so nerve's own ops (instance ``forward`` on arrays) keep
their lean ``Function.apply``. As in PyTorch the ``ctx`` is the graph node itself, an
instance of ``<Name>Backward``: forward runs on Tensors under no_grad, every output is
wrapped as an output of that one node, and the engine calls the node's ``backward``
on arrays, which wraps them as Tensors for the user's ``backward`` and checks the
count and shapes of the gradients it returns.
"""

from __future__ import annotations

import functools
import inspect

from nerve.autograd import grad_mode
from nerve.autograd.engine import FREED
from nerve.backend import array_module
from nerve.dtypes import is_floating
from nerve.tensor import Tensor

_new = object.__new__


def once_differentiable(fn):
    """Marks a backward as not differentiable twice; nerve has no double backward, so
    this only keeps the function's name and signature."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        return fn(ctx, *args)

    return wrapper


class FunctionCtx:
    """What ``forward`` (or ``setup_context``) tells ``backward``: saved tensors, flags
    and any attribute the user sets. It is also the graph node (``y.grad_fn``)."""

    def save_for_backward(self, *tensors) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    "save_for_backward can only save variables, but argument "
                    f"{tensors.index(t)} is of type {type(t).__name__}"
                )
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        d = self.__dict__
        if "_saved" in d:
            return d["_saved"]
        if "needs_input_grad" not in d:  # the engine cleared the node after backward
            raise RuntimeError(FREED)
        return ()

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_diff = tuple(tensors)

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tuple(tensors)

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)

    materialize_grads = True


# What the engine and this module keep in the node's __dict__, which the engine clears
# after backward (freeing the saved tensors); the user's own attributes live in
# ``_attrs`` and outlive it, as on a PyTorch ctx.
_NODE_FIELDS = frozenset(
    {
        "parents",
        "needs_input_grad",
        "n_outputs",
        "backward",
        "_tensor_hooks",
        "_saved",
        "_out_meta",
        "_non_diff",
        "_dirty",
        "materialize_grads",
    }
)


class BackwardCFunction(FunctionCtx):
    """Base of the ``<Name>Backward`` node classes made for each custom Function."""

    __slots__ = ("_attrs",)
    _forward_cls: type = None  # set per subclass

    def __setattr__(self, name: str, value) -> None:
        if name in _NODE_FIELDS:
            self.__dict__[name] = value
        else:
            self._attrs[name] = value

    def __getattr__(self, name: str):
        try:
            return object.__getattribute__(self, "_attrs")[name]
        except (KeyError, AttributeError):
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute '{name}'"
            ) from None

    def __delattr__(self, name: str) -> None:
        if name in _NODE_FIELDS:
            del self.__dict__[name]
        else:
            del self._attrs[name]

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def backward(self, *grad_arrays):
        """Engine side: arrays in, one array (or None) per forward input out."""
        d = self.__dict__
        outs = d["_out_meta"]
        grads = []
        for g, (shape, dtype, xp) in zip(grad_arrays, outs):
            if g is None:
                if not self.materialize_grads or shape is None:
                    grads.append(None)
                    continue
                g = xp.zeros(shape, dtype)
            grads.append(Tensor._wrap(g))
        user = self._forward_cls.backward
        result = user(self, *grads)
        return _check_grads(self, result)

    def apply(self, *grads):
        return self._forward_cls.backward(self, *grads)


def _check_grads(node, result) -> tuple:
    name = type(node).__name__
    if not isinstance(result, tuple):
        result = (result,)
    inputs = node.__dict__["parents"]
    n = len(inputs)
    if len(result) > n and all(g is None for g in result[n:]):
        result = result[:n]
    if len(result) != n:
        raise RuntimeError(
            f"function {name} returned an incorrect number of gradients "
            f"(expected {n}, got {len(result)})"
        )
    out = []
    for i, (g, x) in enumerate(zip(result, inputs)):
        if g is None:
            out.append(None)
            continue
        if not isinstance(g, Tensor):
            raise RuntimeError(f"expected Variable or None (got {_typename(g)})")
        if not isinstance(x, Tensor):
            raise RuntimeError(
                f"function {name} returned a gradient different than None at "
                f"position {i + 1}, but the corresponding forward input was "
                "not a Variable"
            )
        arr = g._data
        if arr.shape != x._data.shape and not _expandable(x._data.shape, arr.shape):
            raise RuntimeError(
                f"Function {name} returned an invalid gradient at index {i} - "
                f"got {list(arr.shape)} but expected shape compatible with "
                f"{list(x._data.shape)}"
            )
        out.append(arr)
    return tuple(out)


def _typename(v) -> str:
    t = type(v)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def _expandable(shape: tuple, target: tuple) -> bool:
    """Whether ``shape`` broadcasts to ``target`` (the engine then sums it back)."""
    if len(shape) > len(target):
        return False
    return all(s == t or s == 1 for s, t in zip(shape[::-1], target[::-1]))


def _bind(cls, args: tuple, kwargs: dict) -> tuple:
    """PyTorch binds keyword arguments to forward's positional parameters."""
    sig = inspect.signature(cls.forward)
    params = list(sig.parameters.values())
    if not cls._setup_style:
        params = params[1:]
    bound = sig.replace(parameters=params).bind_partial(*args, **kwargs)
    if bound.kwargs:
        raise TypeError(
            f"forward() got an unexpected keyword argument '{next(iter(bound.kwargs))}'"
        )
    return tuple(bound.args)


def apply(cls, *args, **kwargs):
    """Run ``cls.forward`` on Tensors under no_grad; record one node for all outputs."""
    if kwargs:
        args = _bind(cls, args, kwargs)
    ctx = _new(cls._backward_cls)
    object.__setattr__(ctx, "_attrs", {})
    mode = grad_mode.state
    needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    ctx.needs_input_grad = needs
    prev, mode.enabled = mode.enabled, False
    try:
        if cls._setup_style:
            out = cls.forward(*args)
            cls.setup_context(ctx, args, out)
        else:
            out = cls.forward(ctx, *args)
    finally:
        mode.enabled = prev
    record = prev and True in needs
    d = ctx.__dict__
    dirty = d.pop("_dirty", ())
    if dirty and record:
        args = _rebase_dirty(args, dirty)
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    non_diff = d.pop("_non_diff", ())
    results, meta = [], []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            results.append(o)
            meta.append((None, None, None))
            continue
        # the namespace too: a missing gradient is materialised as zeros on the output's device
        meta.append((o._data.shape, o._data.dtype, array_module(o._data)))
        diff = (
            record
            and (o._data.dtype.kind == "c" or is_floating(o._data.dtype))
            and not any(o is t for t in non_diff)
        )
        results.append(_output(o, ctx if diff else None, i, dirty))
    if record:
        d["parents"], d["n_outputs"], d["_out_meta"] = args, len(outs), meta
    return results[0] if single else tuple(results)


def _output(o: Tensor, node, index: int, dirty: tuple) -> Tensor:
    """The forward's result as the node's output ``index`` (an input marked dirty is
    rebound in place, as PyTorch rebases its history)."""
    is_dirty = any(o is d for d in dirty)
    if is_dirty and node is None:
        return o
    t = o if is_dirty else _new(Tensor)
    if t is not o:
        t._data, t.grad, t._hooks = o._data, None, None
    t._ctx, t._out_index = node, index
    t.requires_grad = node is not None
    return t


def _rebase_dirty(args: tuple, dirty: tuple) -> tuple:
    """An input changed in place becomes the node's output; the node's parent is a
    stand-in that keeps the input's old place in the graph."""
    out = []
    for a in args:
        if isinstance(a, Tensor) and any(a is d for d in dirty):
            if a.requires_grad and a._ctx is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad has been used in an in-place operation."
                )
            stand_in = _new(Tensor)
            stand_in._data, stand_in.grad, stand_in._hooks = a._data, None, None
            stand_in._ctx, stand_in._out_index = a._ctx, a._out_index
            stand_in.requires_grad = a.requires_grad
            a = stand_in
        out.append(a)
    return tuple(out)


def install(cls) -> None:
    """Give a PyTorch-style Function subclass its own ``apply`` and node class."""
    cls._setup_style = _overrides_setup_context(cls)
    cls._backward_cls = type(
        f"{cls.__name__}Backward",
        (BackwardCFunction,),
        {"_forward_cls": cls, "__module__": cls.__module__},
    )
    cls.apply = classmethod(apply)
    from nerve.autograd.function import Function

    if cls.backward is Function.backward:
        cls.backward = staticmethod(_missing_backward)


def _overrides_setup_context(cls) -> bool:
    from nerve.autograd.function import Function

    for klass in cls.__mro__:
        if klass is Function:
            return False
        if "setup_context" in klass.__dict__:
            return True
    return False


def _missing_backward(ctx, *grads):
    raise NotImplementedError(
        "You must implement either the backward or vjp method for your "
        "custom autograd.Function to use it with backward mode AD."
    )
