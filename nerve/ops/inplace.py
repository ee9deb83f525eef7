"""In-place updates (``add_``, ``relu_``, ``x[i] = v`` ...), attached to Tensor as methods.

Outside a graph (no grad needed, or under ``nerve.no_grad()``: an optimizer step, an
initialiser) they write into the tensor's array, as PyTorch does.

Inside a graph (the target requires grad, or a value that requires grad is written into
it, as in ``buf[i] = w * 2``) nerve does not overwrite memory: a node of the graph may
have saved the old array for its backward. The op is computed out of place through the
ordinary Functions, on a *snapshot* of the target (a new Tensor object holding its old
array and node), and the target object is then *rebound* to the result: its array,
node and output index change, as ``y.grad_fn`` does in PyTorch. Every saved value stays
valid.

One subtlety: a node records its inputs as Tensor objects, so nodes recorded before the
rebinding (``s = y * 3; y.relu_()``) point at ``y``, which now holds the newer version.
Each node also records ``needs_input_grad``, the inputs' ``requires_grad`` values at
the time; a rebound tensor's ``requires_grad`` is a fresh :class:`_Version` token (equal
to, and printed as, True) that remembers the snapshot of the version before it. Before a
backward, :func:`mend_stale_edges` finds the edges whose recorded token is not the
tensor's current one and points them at the snapshot of the version they saw. Ordinary
ops pay nothing for this.

Views: a rebound tensor gets a new array, so a write cannot reach other tensors that
share its memory. Where the target is itself a view of another tensor (``y[0].relu_()``,
``y.view(-1).add_(1)``) the op is refused with a RuntimeError instead of silently
leaving the base unchanged; ``y[0] = ...`` and ``y[0] += ...`` (which Python turns into
a read and a ``__setitem__`` on y) work.
"""

from __future__ import annotations

import importlib

import numpy as np

from nerve import random as _random
from nerve.autograd.function import Function
from nerve.autograd.grad_mode import _enabled, no_grad
from nerve.ops.indexing import GetItem, _is_advanced
from nerve.tensor import Tensor, _index

_new = object.__new__
LEAF = "{}: a leaf Variable that requires grad is being used in an in-place operation."


def _array(v):
    return v._data if hasattr(v, "_data") else v


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


# ----- the graph path: snapshot, compute out of place, rebind --------------------------
class _Version(int):
    """``requires_grad`` of a tensor rebound by an in-place op: equal to True (and shown
    as True), but a distinct object per version, so that each node's recorded
    ``needs_input_grad`` tells which version of its input it saw. ``previous`` is the
    snapshot of the version before."""

    live = 0  # how many exist; backward looks for stale edges only when some do

    def __new__(cls, previous: Tensor):
        v = int.__new__(cls, 1)
        v.previous = previous
        _Version.live += 1
        return v

    def __del__(self) -> None:
        type(self).live -= 1

    def __repr__(self) -> str:
        return "True"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(True, spec)


def _graph(t: Tensor, op: str, values=()) -> bool:
    """Whether the write must go through the graph; refuses a leaf that requires grad."""
    if not _enabled[0]:
        return False
    if t.requires_grad:
        if t._ctx is None:
            raise RuntimeError(LEAF.format(op))
        return True
    if t._data.dtype.kind not in "fc":
        return False  # an integer tensor cannot join the graph: a plain (casting) write
    return any(isinstance(v, Tensor) and v.requires_grad for v in values)


def _shared_view(t: Tensor) -> bool:
    """Whether t's memory belongs to another tensor: an untracked view, the output of a
    node that shares memory with one of its inputs (view, reshape, getitem ...), or an
    element picked by a basic index (numpy copies it; in PyTorch it is a view)."""
    arr = t._data
    fn = t._ctx
    if type(fn) is GetItem and not _is_advanced(fn.__dict__.get("index")):
        return True
    if arr.base is None:
        return False
    if fn is None:
        return True
    return any(isinstance(p, Tensor) and np.may_share_memory(arr, p._data)
               for p in fn.__dict__.get("parents", ()))


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
        raise RuntimeError(f"{op}: output with shape {list(t._data.shape)} doesn't match "
                           f"the broadcast shape {list(out._data.shape)}")
    if out._data.dtype != t._data.dtype:
        from nerve.ops.elementwise import Cast

        out = Cast.apply(out, dtype=t._data.dtype)
    if not out.requires_grad:  # floor_, sign_ ...: the old value gets a zero gradient
        out = IndexPut.apply(snap, out._data, index=Ellipsis)
    old = snap._data
    t._data, t._ctx, t._out_index = out._data, out._ctx, out._out_index
    t.requires_grad = _Version(snap)
    # The snapshot now only stands for the old version's place in the graph (its shape
    # and dtype); a node that needs the old values saved them itself.
    snap._data = np.ndarray(old.shape, old.dtype, np.zeros(1, old.dtype), 0, (0,) * old.ndim)
    return t


def _rebind(t: Tensor, op: str, compute) -> Tensor:
    """The graph path: ``compute(snapshot)`` out of place, then rebind t to the result."""
    _refuse_shared_view(t, op)
    snap = _snapshot(t)
    return _adopt(t, compute(snap), snap, op)


def mend_stale_edges(root: Tensor) -> None:
    """Point every edge recorded before an in-place rebinding of its input at the
    snapshot of the version it saw (called by backward while any _Version exists)."""
    todo, seen = [root._ctx], set()
    while todo:
        fn = todo.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        parents = fn.__dict__.get("parents")
        if parents is None:
            continue  # freed: the engine reports it
        fixed = None
        for i, (p, needed) in enumerate(zip(parents, fn.needs_input_grad)):
            if not needed:
                continue
            if needed is not p.requires_grad:
                s = _version_seen(p, needed)
                if s is not None:
                    fixed = fixed or list(parents)
                    fixed[i] = p = s
            todo.append(p._ctx)
        if fixed is not None:
            fn.parents = tuple(fixed)


def _version_seen(t: Tensor, token):
    v = t.requires_grad
    while isinstance(v, _Version):
        snap = v.previous
        if snap.requires_grad is token:
            return snap
        v = snap.requires_grad
    return None


# ----- the ops ----------------------------------------------------------------------
def _ufunc_(x, op: str, ufunc, other, compute):
    if _graph(x, op, (other,)):
        return _rebind(x, op, compute)
    try:
        ufunc(x._data, _array(other), out=x._data)
    except (ValueError, TypeError) as err:  # a bad shape, or float into an int tensor
        raise RuntimeError(f"{op}: {err}") from None
    return x


def _scaled(other, alpha):
    return other if alpha == 1 else other * alpha


def add_(input, other, alpha=1):  # noqa: A002 - PyTorch's argument names
    o = _scaled(other, alpha)
    return _ufunc_(input, "add_", np.add, o, lambda s: s + o)


def sub_(input, other, alpha=1):  # noqa: A002
    o = _scaled(other, alpha)
    return _ufunc_(input, "sub_", np.subtract, o, lambda s: s - o)


def mul_(input, other):  # noqa: A002
    return _ufunc_(input, "mul_", np.multiply, other, lambda s: s * other)


def div_(input, other):  # noqa: A002
    return _ufunc_(input, "div_", np.divide, other, lambda s: s / other)


def clamp_(input, min=None, max=None):  # noqa: A002
    if _graph(input, "clamp_"):
        from nerve.ops.elementwise import clamp

        return _rebind(input, "clamp_", lambda s: clamp(s, min, max))
    np.clip(input._data, _array(min), _array(max), out=input._data)
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
    return _put(input, "uniform_", Ellipsis,
                _random.rng(generator).uniform(a, b, input._data.shape))


def normal_(input, mean: float = 0.0, std: float = 1.0, generator=None):  # noqa: A002
    return _put(input, "normal_", Ellipsis,
                _random.rng(generator).normal(mean, std, input._data.shape))


def bernoulli_(input, p: float = 0.5, generator=None):  # noqa: A002
    return _put(input, "bernoulli_", Ellipsis,
                _random.rng(generator).random(input._data.shape) < p)


def masked_fill_(input, mask, value):  # noqa: A002
    return _put(input, "masked_fill_", np.broadcast_to(_array(mask), input._data.shape), value)


def setitem(input, index, value) -> None:  # noqa: A002
    idx = _index(index)
    if isinstance(idx, list):
        idx = np.asarray(idx)
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
        np.copyto(input._data, arr, casting="same_kind")
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
