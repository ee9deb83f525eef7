"""The backward pass: one iterative walk of the graph in reverse topological order.

For every node the engine sums the gradients of its outputs, calls its backward,
reduces each input gradient to the input's shape (undoing broadcasting),
accumulates into leaf ``.grad`` and frees the node unless ``retain_graph``.
"""

from __future__ import annotations

import numpy as np

FREED = (
    "Trying to backward through the graph a second time (or directly access saved "
    "tensors after they have already been freed). Saved intermediate values of the "
    "graph are freed when you call .backward(). Specify retain_graph=True if you need "
    "to backward through the graph a second time."
)


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def toposort(root) -> list:
    """Nodes reachable from ``root`` (a Function), each after all nodes that use it."""
    order, seen = [], {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, it = stack[-1]
        for parent in it:
            ctx = getattr(parent, "_ctx", None)
            if ctx is not None and ctx not in seen:
                if ctx.__dict__.get("parents") is None:
                    raise RuntimeError(FREED)
                seen.add(ctx)
                stack.append((ctx, iter(ctx.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


def run_backward(root, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Backpropagate ``grad`` (the gradient of the loss w.r.t. ``root``) to the leaves."""
    given = {id(grad)}
    ctx = root._ctx
    if ctx is None:
        _accumulate_leaf(root, grad, given)
        return
    if ctx.__dict__.get("parents") is None:
        raise RuntimeError(FREED)
    pending = {ctx: [None] * ctx.n_outputs}
    pending[ctx][root._out_index] = grad
    for fn in toposort(ctx):
        douts = pending.pop(fn, None)
        if douts is None:
            continue
        if fn.n_outputs == 1:
            dins = fn.backward(douts[0])
        else:
            dins = fn.backward(*douts)
        if type(dins) is not tuple:
            dins = (dins,)
        for parent, needed, g in zip(fn.parents, fn.needs_input_grad, dins):
            if not needed or g is None:
                continue
            g = _fit(g, parent)
            pctx = parent._ctx
            if pctx is None:
                _accumulate_leaf(parent, g, given)
                continue
            slots = pending.get(pctx)
            if slots is None:
                slots = pending[pctx] = [None] * pctx.n_outputs
            i = parent._out_index
            slots[i] = g if slots[i] is None else slots[i] + g
        if not retain_graph:
            fn.__dict__.clear()


def _fit(g, parent) -> np.ndarray:
    if type(g) is not np.ndarray:
        g = np.asarray(g)
    shape = parent._data.shape
    if g.shape != shape:
        g = unbroadcast(g, shape)
    if g.dtype != parent._data.dtype:
        g = g.astype(parent._data.dtype)
    return g


def _accumulate_leaf(leaf, g: np.ndarray, given: set) -> None:
    """``.grad += g``. A stored array is never shared with another leaf or the graph,
    so in-place updates of one ``.grad`` (clipping, optimizers) cannot leak."""
    for hook in leaf._hooks or ():
        out = hook(leaf._wrap_grad(g))
        if out is not None:
            g = out._data
    if leaf.grad is None:
        if id(g) in given or not g.flags.owndata:
            g = g.copy()
        given.add(id(g))
        leaf.grad = leaf._wrap_grad(g)
    else:
        leaf.grad._data = leaf.grad._data + g
