"""In-place updates (``add_``, ``relu_``, ``x[i] = v`` ...), attached to Tensor as methods.

Outside a graph (no grad needed, or under ``nerve.no_grad()``: an optimizer step, an
initialiser) they write into the tensor's array, as PyTorch does.

Inside a graph (the target requires grad, or a value that requires grad is written into
it) the op is computed out of place and the tensor object is rebound to the result, so
that it carries the new ``grad_fn`` as in PyTorch; a leaf that requires grad is refused.
How, and what happens to views: nerve/ops/rebind.py.
"""

from __future__ import annotations

import importlib

from nerve import random as _random
from nerve.autograd.grad_mode import no_grad
from nerve.backend import array_module, same_module
from nerve.ops.rebind import (
    IndexPut,
    _adopt,
    _graph,
    _rebind,
    _refuse_shared_view,
    _shared_view,
    _snapshot,
)
from nerve.tensor import Tensor, _index


def _array(v):
    return v._data if hasattr(v, "_data") else v


# ----- the ops ----------------------------------------------------------------------
def _ufunc_(x, op: str, ufunc, other, compute):
    if _graph(x, op, (other,)):
        return _rebind(x, op, compute)
    try:  # the ufunc by name, from the array module of x
        getattr(array_module(x._data), ufunc)(x._data, _array(other), out=x._data)
    except (ValueError, TypeError) as err:  # a bad shape, or float into an int tensor
        raise RuntimeError(f"{op}: {err}") from None
    return x


def _scaled(other, alpha):
    return other if alpha == 1 else other * alpha


def add_(input, other, alpha=1):  # noqa: A002 - PyTorch's argument names
    o = _scaled(other, alpha)
    return _ufunc_(input, "add_", "add", o, lambda s: s + o)


def sub_(input, other, alpha=1):  # noqa: A002
    o = _scaled(other, alpha)
    return _ufunc_(input, "sub_", "subtract", o, lambda s: s - o)


def mul_(input, other):  # noqa: A002
    return _ufunc_(input, "mul_", "multiply", other, lambda s: s * other)


def div_(input, other):  # noqa: A002
    return _ufunc_(input, "div_", "divide", other, lambda s: s / other)


def clamp_(input, min=None, max=None):  # noqa: A002
    if _graph(input, "clamp_"):
        from nerve.ops.elementwise import clamp

        return _rebind(input, "clamp_", lambda s: clamp(s, min, max))
    array_module(input._data).clip(input._data, _array(min), _array(max), out=input._data)
    return input


def _put(input, op: str, index, value):  # noqa: A002
    """``input[index] = value``, through the graph when it needs to be."""
    if _graph(input, op, (value,)):
        return _rebind(input, op, lambda s: IndexPut.apply(s, value, index=index))
    input._data[index] = _array(value)
    return input


def copy_(input, src):  # noqa: A002
    return _put(input, "copy_", Ellipsis, src)


def fill_(input, value):  # noqa: A002
    if not isinstance(value, Tensor) or not value.requires_grad:
        value = value.item() if hasattr(value, "item") else value
    return _put(input, "fill_", Ellipsis, value)


def zero_(input):  # noqa: A002
    return fill_(input, 0)


def uniform_(input, a: float = 0.0, b: float = 1.0, generator=None):  # noqa: A002
    # drawn on the host (a CPU run's numbers on every device), then moved to the tensor's
    return _put(input, "uniform_", Ellipsis, same_module(
        _random.rng(generator).uniform(a, b, input._data.shape), input._data))


def normal_(input, mean: float = 0.0, std: float = 1.0, generator=None):  # noqa: A002
    return _put(input, "normal_", Ellipsis, same_module(
        _random.rng(generator).normal(mean, std, input._data.shape), input._data))


def bernoulli_(input, p: float = 0.5, generator=None):  # noqa: A002
    return _put(input, "bernoulli_", Ellipsis, same_module(
        _random.rng(generator).random(input._data.shape) < p, input._data))


def masked_fill_(input, mask, value):  # noqa: A002
    xp = array_module(input._data)
    m = xp.asarray(_array(mask))
    return _put(input, "masked_fill_", xp.broadcast_to(m, input._data.shape), value)


def setitem(input, index, value) -> None:  # noqa: A002
    from nerve.ops.indexing import _on

    idx = _index(index)
    xp = array_module(input._data)
    if isinstance(idx, list):
        idx = xp.asarray(idx)
    if xp is not array_module():  # a host index of a device tensor moves over, as in torch
        idx = tuple(_on(i, input._data) for i in idx) if isinstance(idx, tuple) else \
            _on(idx, input._data)
    _put(input, "__setitem__", idx, value)


_OUT_OF_PLACE = {"add_": lambda a, b: a + b, "sub_": lambda a, b: a - b,
                 "mul_": lambda a, b: a * b, "div_": lambda a, b: a / b}


def augmented(t: Tensor, other, op: str):
    """``t += other`` etc.: in place, like PyTorch. A view in a graph is the one
    exception: ``y[i] += v`` reads the view, adds, and writes it back through
    ``y.__setitem__``, so the view's own update is done out of place."""
    if _graph(t, op, (other,)) and _shared_view(t):
        return _OUT_OF_PLACE[op](t, other)
    return _INPLACE[op](t, other)


_INPLACE = {"add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_}


# ----- in-place math (x.exp_(), x.relu_() ...) and the functional ``inplace=`` flag ------
def _write(input, arr, op: str):  # noqa: A002
    try:
        array_module(input._data).copyto(input._data, arr, casting="same_kind")
    except TypeError:
        raise RuntimeError(f"{op}: result type {arr.dtype} can't be cast to the desired "
                           f"output type {input._data.dtype}") from None
    return input


def maybe_inplace(input, out, inplace: bool, op: str = "inplace"):  # noqa: A002
    """The functional ops' ``inplace=True``, given ``out = SomeOp.apply(input, ...)``
    already computed: ``input`` takes ``out``'s value and returns itself. In a graph, the
    node's edge to ``input`` is moved to a snapshot of it before ``input`` is rebound."""
    if not inplace:
        return out
    if not _graph(input, op):
        return _write(input, out._data, op)
    fn = out._ctx
    parents = None if fn is None else fn.__dict__.get("parents")
    if parents is None or not any(p is input for p in parents):
        return out  # a composite: out is not one node over input, so stay out of place
    _refuse_shared_view(input, op)
    snap = _snapshot(input)
    fn.parents = tuple(snap if p is input else p for p in parents)
    return _adopt(input, out, snap, op)


_ROUNDING = ("floor_", "ceil_", "round_", "trunc_")


def inplace_call(input, op: str, fn, *args, **kwargs):  # noqa: A002
    """``fn(input, *args, **kwargs)`` written into ``input``, which is returned."""
    if op in _ROUNDING and input._data.dtype.kind in "iub":
        return input  # rounding an integer tensor changes nothing
    if _graph(input, op, args + tuple(kwargs.values())):
        return _rebind(input, op, lambda s: fn(s, *args, **kwargs))
    with no_grad():
        out = fn(input, *args, **kwargs)
    return _write(input, out._data, op)


def _math_(name: str, fn_path: str):
    """``x.<name>_(*args)``: the out-of-place op's result written into x."""
    module, attr = fn_path.rsplit(".", 1)
    op = name + "_"
    found = []

    def method(input, *args, **kwargs):  # noqa: A002
        if not found:
            found.append(getattr(importlib.import_module(module), attr))
        return inplace_call(input, op, found[0], *args, **kwargs)

    method.__name__ = op
    method.__doc__ = f"In-place ``{name}``: the result is written into this tensor."
    return method


_MATH = {
    "relu": "nerve.ops.activation.relu", "sigmoid": "nerve.ops.activation.sigmoid",
    "tanh": "nerve.ops.activation.tanh", "exp": "nerve.ops.elementwise.exp",
    "log": "nerve.ops.elementwise.log", "sqrt": "nerve.ops.elementwise.sqrt",
    "abs": "nerve.ops.elementwise.abs", "neg": "nerve.ops.elementwise.neg",
    "pow": "nerve.ops.elementwise.pow", "sin": "nerve.ops.elementwise.sin",
    "cos": "nerve.ops.elementwise.cos", "square": "nerve.ops.elementwise.square",
    "clamp_min": "nerve.ops.inplace.clamp_min", "clamp_max": "nerve.ops.inplace.clamp_max",
    "floor": "nerve.ops.compare.floor", "ceil": "nerve.ops.compare.ceil",
    "round": "nerve.ops.compare.round", "sign": "nerve.ops.compare.sign",
    "log1p": "nerve.ops.mathfns.log1p", "expm1": "nerve.ops.mathfns.expm1",
    "erf": "nerve.ops.mathfns.erf", "atan2": "nerve.ops.mathfns.atan2",
    "lerp": "nerve.ops.mathfns.lerp", "scatter": "nerve.ops.scatter.scatter",
    "scatter_add": "nerve.ops.scatter.scatter_add", "index_add": "nerve.ops.scatter.index_add",
}
MATH_INPLACE = {name + "_": _math_(name, path) for name, path in _MATH.items()}
# F.relu_(x), F.leaky_relu_(x, 0.2) ...: the functional in-place activations
relu_ = MATH_INPLACE["relu_"]
leaky_relu_ = _math_("leaky_relu", "nerve.ops.activation.leaky_relu")
elu_ = _math_("elu", "nerve.ops.activation.elu")
hardtanh_ = _math_("hardtanh", "nerve.ops.activation.hardtanh")
rrelu_ = _math_("rrelu", "nerve.ops.activation.rrelu")


def clamp_min(input, min):  # noqa: A002
    from nerve.ops.elementwise import clamp

    return clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002
    from nerve.ops.elementwise import clamp

    return clamp(input, max=max)
