"""The graph path of in-place ops (nerve/ops/inplace.py): snapshot, compute out of place,
rebind.

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
share its memory. Where the target is a view of a tensor that anything else still
refers to (``y[0].relu_()``, ``y.view(-1).add_(1)`` with y held) the op is refused with
a RuntimeError instead of silently leaving y unchanged; a view of a temporary nobody
holds (``F.relu(conv(x).flatten(1), inplace=True)``) is simply rebound, and
``y[0] = ...`` and ``y[0] += ...`` (a read and a ``__setitem__`` on y) work.
"""

from __future__ import annotations

import sys

from nerve.autograd import grad_mode
from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.ops.indexing import GetItem, _is_advanced
from nerve.tensor import Tensor

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
    if not grad_mode.state.enabled:
        return False
    if t.requires_grad:
        if t._ctx is None:
            raise RuntimeError(LEAF.format(op))
        return True
    if t._data.dtype.kind not in "fc":
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
    held = Tensor._wrap(xp.zeros(2))
    t = Tensor._wrap(held._data.reshape(1, 2))
    ctx = _new(Function)
    ctx.parents = (held,)
    t._ctx, held = ctx, None
    u = Tensor._wrap(xp.zeros(4)[1:])
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
    # one writable element under zero strides, no memory held: the form graph_backward
    # recognises as "values not kept" (a read-only broadcast view stands in off the CPU)
    xp = array_module(old)
    one = xp.zeros(1, old.dtype)
    snap._data = xp.ndarray(old.shape, old.dtype, one, 0, (0,) * old.ndim) \
        if xp is array_module() else xp.broadcast_to(one.reshape(()), old.shape)
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
