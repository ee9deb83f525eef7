"""Tensor hooks as PyTorch runs them, on top of the engine (nerve/autograd/engine.py).

- A hook on a non-leaf tensor lives on the node that made it: the node's ``backward``
  is wrapped (an instance attribute, as anomaly mode does) so that the summed gradient
  of that output passes through the hooks, and ``retain_grad`` stores it, before the
  node runs.
- The engine calls a leaf's hooks once per edge into the leaf. PyTorch calls them once,
  on the sum, and then the post-accumulate-grad hooks. While some leaf has hooks,
  :func:`backward_with_leaf_hooks` swaps each such leaf's hook list for a recorder,
  and after the walk runs the hooks on the sum and sets ``.grad`` from it.
"""

from __future__ import annotations

import weakref

import numpy as np

# id(leaf) -> _LeafEntry for every live leaf with gradient or post-accumulate hooks
_leaves: dict = {}
# set by nerve.autograd.grad: the ids of its leaf inputs (others neither run hooks
# nor accumulate), None during an ordinary backward
grad_call: list = [None]


class RemovableHandle:
    """Returned by ``register_hook``-style methods; ``remove()`` (or leaving a ``with``
    block) unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: list, hook) -> None:
        self.hooks, self.hook = hooks, hook
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        for i, h in enumerate(self.hooks):
            if h is self.hook:
                del self.hooks[i]
                return

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class _LeafEntry:
    __slots__ = ("ref", "post")

    def __init__(self, leaf) -> None:
        key = id(leaf)
        # the table is bound now: at interpreter exit the module global is already None
        self.ref = weakref.ref(leaf, lambda _, key=key, table=_leaves: table.pop(key, None))
        self.post: list = []


def _entry(leaf) -> _LeafEntry:
    e = _leaves.get(id(leaf))
    if e is None or e.ref() is not leaf:
        e = _leaves[id(leaf)] = _LeafEntry(leaf)
    return e


def register_leaf_hook(leaf, hook) -> RemovableHandle:
    _entry(leaf)
    if leaf._hooks is None:
        leaf._hooks = []
    leaf._hooks.append(hook)
    return RemovableHandle(leaf._hooks, hook)


def register_post_accumulate(leaf, hook) -> RemovableHandle:
    e = _entry(leaf)
    e.post.append(hook)
    return RemovableHandle(e.post, hook)


def _apply_hooks(hooks, g: np.ndarray, wrap) -> np.ndarray:
    for hook in list(hooks):
        out = hook(wrap(g))
        if out is not None:
            arr = out._data if hasattr(out, "_data") else np.asarray(out)
            if arr.shape != g.shape:
                name = getattr(hook, "__name__", type(hook).__name__)
                raise RuntimeError(f"hook '{name}' has changed the size of value")
            g = arr if arr.dtype == g.dtype else arr.astype(g.dtype)
    return g


# ----- leaves ---------------------------------------------------------------------------
def backward_with_leaf_hooks(run, root, grad, retain: bool) -> None:
    """``run(root, grad, retain)`` with each hooked leaf's hooks run once on its summed
    gradient, then its post-accumulate-grad hooks, as soon as the engine has walked every
    edge into that leaf (``engine.leaf_final``), not after the whole walk."""
    from nerve.autograd import engine

    only = grad_call[0]
    swapped = {}
    for e in list(_leaves.values()):
        leaf = e.ref()
        if leaf is None or (not leaf._hooks and not e.post):
            continue
        got: list = []
        grad_t = leaf.grad
        swapped[id(leaf)] = (
            leaf,
            e,
            leaf._hooks,
            got,
            grad_t,
            None if grad_t is None else grad_t._data,
        )
        leaf._hooks = [lambda g, got=got: got.append(g._data)]

    def final(leaf) -> None:
        record = swapped.pop(id(leaf), None)
        if record is not None:
            leaf._hooks = record[2]
            _finish_leaf(record, only)

    prev, engine.leaf_final[0] = engine.leaf_final[0], final
    try:
        run(root, grad, retain)
    finally:
        engine.leaf_final[0] = prev
        for leaf, _, hooks, *_ in swapped.values():
            leaf._hooks = hooks
    for record in swapped.values():  # leaves the walk never reached
        _finish_leaf(record, only)


def _finish_leaf(record, only) -> None:
    """Sum what the engine recorded for one leaf, run its hooks on the sum, fix ``.grad``,
    then run its post-accumulate-grad hooks."""
    leaf, e, hooks, got, old, old_data = record
    if not got or (only is not None and id(leaf) not in only):
        return
    total = got[0]
    for g in got[1:]:
        total = total + g
    new = _apply_hooks(hooks or (), total, leaf._wrap_grad)
    if new is not got[0] or len(got) > 1:
        if old is None:  # the engine made this .grad; a hook's result may be shared
            leaf.grad._data = new.copy()
        else:
            old._data = old_data + new
            leaf.grad = old
    if only is None:
        for hook in list(e.post):
            hook(leaf)


# ----- non-leaf tensors --------------------------------------------------------------
def _node_state(node) -> dict:
    """The hook table of ``node``: {output index: [hooks]}, installed on first use."""
    d = node.__dict__
    state = d.get("_tensor_hooks")
    if state is not None:
        return state
    state = d["_tensor_hooks"] = {"hooks": {}, "retain": {}, "capture": {}}
    inner = node.backward

    def backward(*douts):
        douts = list(douts)
        for i in set(state["hooks"]) | set(state["retain"]) | set(state["capture"]):
            g = douts[i]
            if g is None:
                continue
            g = _apply_hooks(state["hooks"].get(i, ()), g, _wrap)
            ref = state["retain"].get(i)
            t = ref() if ref is not None else None
            if t is not None:
                if t.grad is None:
                    t.grad = _wrap(g.copy())
                else:
                    t.grad._data = t.grad._data + g
            if i in state["capture"]:
                state["capture"][i].append(g)
            douts[i] = g
        return inner(*douts)

    node.backward = backward
    return state


def _wrap(g):
    from nerve.tensor import Tensor

    return Tensor._wrap(g)


def register_node_hook(t, hook) -> RemovableHandle:
    hooks = _node_state(t._ctx)["hooks"].setdefault(t._out_index, [])
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def retain_grad(t) -> None:
    _node_state(t._ctx)["retain"][t._out_index] = weakref.ref(t)


def retains_grad(t) -> bool:
    node = t._ctx
    if node is None:
        return False
    state = node.__dict__.get("_tensor_hooks")
    ref = state["retain"].get(t._out_index) if state else None
    return ref is not None and ref() is t


def capture(t) -> list:
    """A list that receives the gradient of non-leaf ``t`` (after its hooks) in backward."""
    got: list = []
    _node_state(t._ctx)["capture"][t._out_index] = got
    return got


def release(t) -> None:
    state = t._ctx.__dict__.get("_tensor_hooks") if t._ctx is not None else None
    if state:
        state["capture"].pop(t._out_index, None)
