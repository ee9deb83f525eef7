"""In-place updates (``add_``, ``relu_``, ``x[i] = v`` ...), attached to Tensor as methods.

Outside a graph (no grad needed, or under ``nerve.no_grad()``: an optimizer step, an
initialiser) they write into the tensor's array, as PyTorch does. Every in-place op adds
one to the tensor's version (``x._version``, shared with its views and base): the
counters and the checks backward makes with them are in nerve/autograd/versions.py.

Inside a graph (the target requires grad, or a value that requires grad is written into
it) the op is computed out of place through the ordinary Functions, on a *snapshot* of
the target (a new Tensor object holding its old array and node); a leaf that requires
grad, or a view of one, is refused as in PyTorch. Then:

- a tensor that is no view is *rebound* to the result: its array, node and output index
  change, as ``y.grad_fn`` does in PyTorch, and nothing is overwritten, so every value a
  node saved stays valid (the nodes recorded before are moved onto the snapshot at
  backward: nerve/autograd/versions.py);
- a view's result is written into its memory, which is its base's, and the base becomes
  ``CopySlices`` of its old version, as in PyTorch (nerve/ops/inplace/views.py):
  ``y[0].relu_()``, ``y.view(-1).add_(1)``, ``y.t().mul_(2)`` change y. One of several
  views made by one op (``y.split(1)[0]``) and an expanded view are refused, as there.
"""

from __future__ import annotations

import importlib

from nerve import random as _random
from nerve.autograd import grad_mode
from nerve.autograd.function import Function
from nerve.autograd.grad_mode import no_grad
from nerve.autograd.versions import bump, rebound
from nerve.backend import array_module, same_module
from nerve.dtypes import is_floating
from nerve.ops.inplace.views import VIEW_OF_LEAF, AsStrided, CopySlices, positions
from nerve.ops.math.elementwise import Cast
from nerve.ops.math.elementwise_extrema import clamp
from nerve.ops.shape.indexing import GetItem, _on
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
        else:
            getattr(array_module(x._data), ufunc)(x._data, _array(other), out=x._data)
    except (ValueError, TypeError) as err:  # a bad shape, or float into an int tensor
        raise RuntimeError(f"{op}: {err}") from None
    bump(x)
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
    bump(input)
    return input


def _put(input, op: str, index, value):
    """``input[index] = value``, through the graph when it needs to be."""
    if _graph(input, op, (value,)):
        return _rebind(input, op, lambda s: IndexPut.apply(s, value, index=index))
    input._data[index] = _array(value)
    bump(input)
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


def augmented(t: Tensor, other, op: str):
    """``t += other`` etc.: in place, like PyTorch (``y[i] += v`` writes through the view
    y[i], then Python's ``y.__setitem__`` writes it into y once more, as in PyTorch)."""
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
    bump(input)
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
    root = _view_root(input)
    snap = _snapshot(input, root is not None)
    fn.parents = tuple(snap if p is input else p for p in parents)
    if root is not None:
        _keep_own_copies(fn, input._data)  # the write below must not reach what fn saved
        return _through_view(input, root, snap, out, op)
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
MULTI_VIEW = (
    "Output {} of {} is a view and is being modified inplace. This view is the output of a "
    "function that returns multiple views. Such functions do not allow the output views to "
    "be modified inplace. You should replace the inplace operation by an out-of-place one."
)


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


def _view_root(t: Tensor):
    """The base whose memory a graph write to ``t`` must reach (None: t is no view, or
    a view of an older version of a base that has been rebound since)."""
    base = t._base
    if base is None or not array_module(t._data).may_share_memory(t._data, base._data):
        return None
    if base.requires_grad and base._ctx is None:
        raise RuntimeError(VIEW_OF_LEAF)
    fn = t._ctx
    if fn is not None and fn._view_op and fn.n_outputs > 1:
        raise RuntimeError(MULTI_VIEW.format(t._out_index, type(fn).__name__))
    return base


def _snapshot(t: Tensor, written: bool = False) -> Tensor:
    """A new Tensor for t's current version (its array and node). Where the write goes
    into memory, it shares t's counter, so that the nodes moved onto it are checked."""
    s = _new(Tensor)
    s._data, s.grad, s.requires_grad = t._data, None, t.requires_grad
    s._ctx, s._out_index, s._hooks = t._ctx, t._out_index, None
    if written:
        s._vc = t._vc
    return s


def _fitted(out: Tensor, like: Tensor, old: Tensor, op: str) -> Tensor:
    """``out`` checked against the shape of the tensor it is written into, cast to its
    dtype, and tied to ``old`` where it has no gradient (floor_, sign_ ...: zero)."""
    if out._data.shape != like._data.shape:
        raise RuntimeError(
            f"{op}: output with shape {list(like._data.shape)} doesn't match "
            f"the broadcast shape {list(out._data.shape)}"
        )
    if out._data.dtype != like._data.dtype:
        out = Cast.apply(out, dtype=like._data.dtype)
    if not out.requires_grad:
        out = IndexPut.apply(old, out._data, index=Ellipsis)
    return out


def _adopt(t: Tensor, out: Tensor, snap: Tensor, op: str) -> Tensor:
    """Rebind t to ``out`` (computed from ``snap``, t's old version)."""
    out = _fitted(out, t, snap, op)
    old = snap._data
    t._data, t._ctx, t._out_index = out._data, out._ctx, out._out_index
    t.requires_grad = True
    bump(t, written=False)
    rebound(t, snap)
    c = t._vc
    if c.viewed:  # views of the old memory keep it alive anyway, and may be read as
        return t  # views of the old version (versions.py): the snapshot keeps its array
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


def _keep_own_copies(fn, memory) -> None:
    """Replace the arrays node ``fn`` (just recorded) keeps that overlap ``memory`` by copies."""
    may_share = array_module(memory).may_share_memory
    for k, v in list(fn.__dict__.items()):
        if type(v) is type(memory) and may_share(v, memory):
            fn.__dict__[k] = v.copy()


def _through_view(t, root, snap_t, new, op: str, old_root=None, pos=None) -> Tensor:
    """Write ``new`` (t's new version, computed out of place) into t's memory, which is
    root's: root becomes CopySlices(root's old version, new), t the view of it
    (nerve/ops/inplace/views.py)."""
    if old_root is None:
        old_root, pos = _snapshot(root, True), positions(t._data, root._data)
    new = _fitted(new, t, snap_t, op)
    if root._ctx is not None:  # the node that made root's memory may keep it: a copy
        _keep_own_copies(root._ctx, root._data)
    array_module(t._data).copyto(t._data, new._data)
    bump(t)
    out = CopySlices.apply(old_root, new, pos=pos)
    root._ctx, root._out_index, root.requires_grad = out._ctx, 0, True
    rebound(root, old_root)
    view = AsStrided.apply(root, pos=pos)
    t._ctx, t._out_index, t.requires_grad = view._ctx, 0, True
    rebound(t, snap_t)
    return t


def _rebind(t: Tensor, op: str, compute) -> Tensor:
    """The graph path: ``compute(snapshot)`` out of place, then rebind t to the result;
    a view's result is written through to its base's memory."""
    root = _view_root(t)
    if root is None:
        snap = _snapshot(t)
        return _adopt(t, compute(snap), snap, op)
    # op computes on a copy of the old values (its backward may keep them), taken from
    # root's old version, so that the gradient of those places reaches it
    old_root, pos = _snapshot(root, True), positions(t._data, root._data)
    old = AsStrided.apply(old_root, pos=pos)
    return _through_view(t, root, _snapshot(t, True), compute(old), op, old_root, pos)


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
