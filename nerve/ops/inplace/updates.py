"""In-place updates (``add_``, ``relu_``, ``x[i] = v`` ...), attached to Tensor as methods.

Outside a graph (no grad needed, or under ``nerve.no_grad()``: an optimizer step, an
initialiser) they write into the tensor's array, as PyTorch does.

Inside a graph (the target requires grad, or a value that requires grad is written into
it) the op is computed out of place and the tensor object is rebound to the result, so
that it carries the new ``grad_fn`` as in PyTorch; a leaf that requires grad is refused.
How, and what happens to views: below, after the ops (the graph path); the versions
a rebound tensor leaves behind, and how backward mends the edges recorded before:
nerve/autograd/rebound.py.

The graph path: inside a graph nerve does not overwrite memory (a node may have saved
the old array for its backward). The op is computed out of place through the ordinary
Functions, on a *snapshot* of the target (a new Tensor object holding its old array and
node), and the target object is then *rebound* to the result: its array, node and
output index change, as ``y.grad_fn`` does in PyTorch. Every saved value stays valid.

Views: a rebound tensor gets a new array, so a write cannot reach other tensors that
share its memory. Where the target is a view of a tensor that anything else still
refers to (``y[0].relu_()``, ``y.view(-1).add_(1)`` with y held) the op is refused with
a RuntimeError instead of silently leaving y unchanged; a view of a temporary nobody
holds (``F.relu(conv(x).flatten(1), inplace=True)``) is simply rebound, and
``y[0] = ...`` and ``y[0] += ...`` (a read and a ``__setitem__`` on y) work.
"""

from __future__ import annotations

import importlib
import sys

from nerve import random as _random
from nerve.autograd import grad_mode
from nerve.autograd.function import Function, wrap
from nerve.autograd.grad_mode import no_grad
from nerve.autograd.rebound import Version
from nerve.backend import array_module, same_module
from nerve.dtypes import is_floating
from nerve.ops.math.elementwise import Cast
from nerve.ops.math.elementwise_extrema import clamp
from nerve.ops.shape.indexing import GetItem, _is_advanced, _on
from nerve.tensor import Tensor, ops_table
from nerve.tensor import index_arrays as _index

__all__ = ["elu_", "hardtanh_", "leaky_relu_", "relu_", "rrelu_"]


def _array(v):
    return v._data if hasattr(v, "_data") else v


# ----- the ops ----------------------------------------------------------------------
def _ufunc_(x, op: str, ufunc, other, compute):
    if _graph(x, op, (other,)):
        return _rebind(x, op, compute)
    try:  # the ufunc by name, from the array module of x
        if x._data.dtype.kind == "V":  # bfloat16: the op's float32 compute, rounded once
            with no_grad():
                x._data[...] = compute(x.detach())._data
            return x
        getattr(array_module(x._data), ufunc)(x._data, _array(other), out=x._data)
    except (ValueError, TypeError) as err:  # a bad shape, or float into an int tensor
        raise RuntimeError(f"{op}: {err}") from None
    return x


def _scaled(other, alpha):
    return other if alpha == 1 else other * alpha


def add_(input, other, alpha=1):  # noqa: A002 - PyTorch's argument names
    o = _scaled(other, alpha)
    return _ufunc_(input, "add_", "add", o, lambda s: s + o)


def sub_(input, other, alpha=1):
    o = _scaled(other, alpha)
    return _ufunc_(input, "sub_", "subtract", o, lambda s: s - o)


def mul_(input, other):
    return _ufunc_(input, "mul_", "multiply", other, lambda s: s * other)


def div_(input, other):
    return _ufunc_(input, "div_", "divide", other, lambda s: s / other)


def clamp_(input, min=None, max=None):
    if _graph(input, "clamp_"):
        return _rebind(input, "clamp_", lambda s: clamp(s, min, max))
    array_module(input._data).clip(input._data, _array(min), _array(max), out=input._data)
    return input


def _put(input, op: str, index, value):
    """``input[index] = value``, through the graph when it needs to be."""
    if _graph(input, op, (value,)):
        return _rebind(input, op, lambda s: IndexPut.apply(s, value, index=index))
    input._data[index] = _array(value)
    return input


def copy_(input, src):
    return _put(input, "copy_", Ellipsis, src)


def fill_(input, value):
    if not isinstance(value, Tensor) or not value.requires_grad:
        value = value.item() if hasattr(value, "item") else value
    return _put(input, "fill_", Ellipsis, value)


def zero_(input):
    return fill_(input, 0)


def uniform_(input, a: float = 0.0, b: float = 1.0, generator=None):
    # drawn on the host (a CPU run's numbers on every device), then moved to the tensor's
    return _put(
        input,
        "uniform_",
        Ellipsis,
        same_module(_random.rng(generator).uniform(a, b, input._data.shape), input._data),
    )


def normal_(input, mean: float = 0.0, std: float = 1.0, generator=None):
    return _put(
        input,
        "normal_",
        Ellipsis,
        same_module(_random.rng(generator).normal(mean, std, input._data.shape), input._data),
    )


def bernoulli_(input, p: float = 0.5, generator=None):
    return _put(
        input,
        "bernoulli_",
        Ellipsis,
        same_module(_random.rng(generator).random(input._data.shape) < p, input._data),
    )


def masked_fill_(input, mask, value):
    xp = array_module(input._data)
    m = xp.asarray(_array(mask))
    return _put(input, "masked_fill_", xp.broadcast_to(m, input._data.shape), value)


def setitem(input, index, value) -> None:
    idx = _index(index)
    xp = array_module(input._data)
    if isinstance(idx, list):
        idx = xp.asarray(idx)
    if xp is not array_module():  # a host index of a device tensor moves over, as in torch
        idx = (
            tuple(_on(i, input._data) for i in idx)
            if isinstance(idx, tuple)
            else _on(idx, input._data)
        )
    _put(input, "__setitem__", idx, value)


_OUT_OF_PLACE = {
    "add_": lambda a, b: a + b,
    "sub_": lambda a, b: a - b,
    "mul_": lambda a, b: a * b,
    "div_": lambda a, b: a / b,
}


def augmented(t: Tensor, other, op: str):
    """``t += other`` etc.: in place, like PyTorch. A view in a graph is the one
    exception: ``y[i] += v`` reads the view, adds, and writes it back through
    ``y.__setitem__``, so the view's own update is done out of place."""
    if _graph(t, op, (other,)) and _shared_view(t):
        return _OUT_OF_PLACE[op](t, other)
    return _INPLACE[op](t, other)


_INPLACE = {"add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_}


# ----- in-place math (x.exp_(), x.relu_() ...) and the functional ``inplace=`` flag ------
def _write(input, arr, op: str):
    try:
        array_module(input._data).copyto(input._data, arr, casting="same_kind")
    except TypeError:
        raise RuntimeError(
            f"{op}: result type {arr.dtype} can't be cast to the desired "
            f"output type {input._data.dtype}"
        ) from None
    return input


def maybe_inplace(input, out, inplace: bool, op: str = "inplace"):
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


def inplace_call(input, op: str, fn, *args, **kwargs):
    """``fn(input, *args, **kwargs)`` written into ``input``, which is returned."""
    if op in _ROUNDING and input._data.dtype.kind in "iub":
        return input  # rounding an integer tensor changes nothing
    if _graph(input, op, args + tuple(kwargs.values())):
        return _rebind(input, op, lambda s: fn(s, *args, **kwargs))
    with no_grad():
        out = fn(input, *args, **kwargs)
    return _write(input, out._data, op)


def inplace_form(name: str, fn_path: str):
    """``x.<name>_(*args)``: the out-of-place op's result written into x."""
    module, attr = fn_path.rsplit(".", 1)
    op = name + "_"
    found = []

    def method(input, *args, **kwargs):
        if not found:
            found.append(getattr(importlib.import_module(module), attr))
        return inplace_call(input, op, found[0], *args, **kwargs)

    method.__name__ = op
    method.__doc__ = f"In-place ``{name}``: the result is written into this tensor."
    return method


# F.relu_(x), F.leaky_relu_(x, 0.2) ...: the functional in-place activations
relu_ = inplace_form("relu", "nerve.ops.nn.activation.relu")
leaky_relu_ = inplace_form("leaky_relu", "nerve.ops.nn.activation.leaky_relu")
elu_ = inplace_form("elu", "nerve.ops.nn.activation.elu")
hardtanh_ = inplace_form("hardtanh", "nerve.ops.nn.activation.hardtanh")
rrelu_ = inplace_form("rrelu", "nerve.ops.nn.activation.rrelu")


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


_new = object.__new__
LEAF = "{}: a leaf Variable that requires grad is being used in an in-place operation."


class IndexPut(Function):
    """y = x with y[index] = v (v broadcast to the indexed shape): ``x[index] = v`` in a
    graph. ∂L/∂x = δ with the written places zeroed;  ∂L/∂v = δ[index] (the engine sums
    it over the axes along which v was broadcast)."""

    def forward(self, x, v, index=None):
        self.index = index
        y = x.copy()
        y[index] = v
        return y

    def backward(self, dy):
        dx = dv = None
        if self.needs_input_grad[0]:
            dx = dy.copy()
            dx[self.index] = 0
        if self.needs_input_grad[1]:
            dv = dy[self.index]
        return dx, dv

    def backward_graph(self, dy):
        dx = dv = None
        if self.needs_input_grad[0]:
            keep = array_module(dy).ones(dy.shape, dy.dtype)
            keep[self.index] = 0
            dx = dy * keep
        if self.needs_input_grad[1]:
            dv = GetItem.apply(dy, index=self.index)
        return dx, dv


# ----- the graph path: snapshot, compute out of place, rebind --------------------------
def _graph(t: Tensor, op: str, values=()) -> bool:
    """Whether the write must go through the graph; refuses a leaf that requires grad."""
    if not grad_mode.state.enabled:
        return False
    if t.requires_grad:
        if t._ctx is None:
            raise RuntimeError(LEAF.format(op))
        return True
    if t._data.dtype.kind not in "fc" and not is_floating(t._data.dtype):  # kind first: cheap
        return False  # an integer tensor cannot join the graph: a plain (casting) write
    return any(isinstance(v, Tensor) and v.requires_grad for v in values)


def _shared_view(t: Tensor) -> bool:
    """Whether some other tensor that anything still refers to sees t's memory, so that
    PyTorch would write through to it: t is an untracked view of an array held
    elsewhere, or the output of a node that shares memory with an input (view, reshape,
    getitem ...; a basic-index element too, which numpy copies but PyTorch views) that
    is referenced by more than that node, or is itself such a view."""
    arr, fn = t._data, t._ctx
    while True:
        if fn is None:
            return arr.base is not None and not _unseen(arr.base, "array")
        element = type(fn) is GetItem and not _is_advanced(fn.__dict__.get("index"))
        if not element and arr.base is None:
            return False
        base = None
        for p in fn.__dict__.get("parents", ()):
            if isinstance(p, Tensor) and (element or _shares(arr, p._data)):
                base = p
                break
        p = None  # the loop's own reference would blur the count below
        if base is None:
            return False
        if not _unseen(base, "tensor"):
            return True
        arr, fn = base._data, base._ctx  # a view of a view: the next link too


def _unseen(obj, kind: str) -> bool:
    """Whether nothing but the node (or view) in hand refers to ``obj`` (CPython's
    reference count, against the count measured once for exactly that situation; where
    there is no reference count nothing can be told, and the answer is no)."""
    if _getrefcount is None:
        return False
    if not _REFS:
        _calibrate()
    return _getrefcount(obj) <= _REFS[kind]


def _shares(a, b) -> bool:
    return array_module(a).may_share_memory(a, b)


def _calibrate() -> None:
    """Measure the counts _shared_view sees for a base that only one node holds (a
    tensor) and for an array that only one view holds."""
    _REFS["tensor"] = _REFS["array"] = 1 << 30
    xp = array_module()  # host arrays: reference counts are the same on every device
    held = wrap(xp.zeros(2))
    t = wrap(held._data.reshape(1, 2))
    ctx = _new(Function)
    ctx.parents = (held,)
    t._ctx, held = ctx, None
    u = wrap(xp.zeros(4)[1:])
    for kind, probe in (("tensor", t), ("array", u)):
        for k in range(1, 12):
            _REFS[kind] = k
            if not _shared_view(probe):
                break
        else:
            _REFS[kind] = 0  # no count fits: every base counts as seen (the safe side)


_getrefcount = getattr(sys, "getrefcount", None)
_REFS: dict = {}


def _refuse_shared_view(t: Tensor, op: str) -> None:
    if _shared_view(t):
        raise RuntimeError(
            f"{op}: the tensor (shape {tuple(t._data.shape)}) is a view of another tensor, "
            "and the in-place write is part of the graph; nerve computes it out of place "
            "and cannot carry it through to the tensor it views, as PyTorch does. Write "
            "through the base instead (base[index] = value), or clone() the view first."
        )


def _snapshot(t: Tensor) -> Tensor:
    s = _new(Tensor)
    s._data, s.grad, s.requires_grad = t._data, None, t.requires_grad
    s._ctx, s._out_index, s._hooks = t._ctx, t._out_index, None
    return s


def _adopt(t: Tensor, out: Tensor, snap: Tensor, op: str) -> Tensor:
    """Rebind t to ``out`` (computed from ``snap``, t's old version)."""
    if out._data.shape != t._data.shape:
        raise RuntimeError(
            f"{op}: output with shape {list(t._data.shape)} doesn't match "
            f"the broadcast shape {list(out._data.shape)}"
        )
    if out._data.dtype != t._data.dtype:
        out = Cast.apply(out, dtype=t._data.dtype)
    if not out.requires_grad:  # floor_, sign_ ...: the old value gets a zero gradient
        out = IndexPut.apply(snap, out._data, index=Ellipsis)
    old = snap._data
    t._data, t._ctx, t._out_index = out._data, out._ctx, out._out_index
    t.requires_grad = Version(snap)
    # The snapshot now only stands for the old version's place in the graph (its shape
    # and dtype); a node that needs the old values saved them itself.
    # one writable element under zero strides, no memory held: the form graph_backward
    # recognises as "values not kept" (a read-only broadcast view stands in off the CPU)
    xp = array_module(old)
    one = xp.zeros(1, old.dtype)
    snap._data = (
        xp.ndarray(old.shape, old.dtype, one, 0, (0,) * old.ndim)
        if xp is array_module()
        else xp.broadcast_to(one.reshape(()), old.shape)
    )
    return t


def _rebind(t: Tensor, op: str, compute) -> Tensor:
    """The graph path: ``compute(snapshot)`` out of place, then rebind t to the result."""
    _refuse_shared_view(t, op)
    snap = _snapshot(t)
    return _adopt(t, compute(snap), snap, op)


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(
    add_,
    augmented,
    bernoulli_,
    clamp_,
    clamp_max,
    clamp_min,
    copy_,
    div_,
    fill_,
    inplace_call,
    masked_fill_,
    mul_,
    normal_,
    setitem,
    sub_,
    uniform_,
    zero_,
)
