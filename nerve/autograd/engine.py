"""The backward pass: one iterative walk of the graph in reverse topological order.

For every node the engine sums the gradients of its outputs, calls its backward,
reduces each input gradient to the input's shape (undoing broadcasting),
accumulates into leaf ``.grad`` and frees the node unless ``retain_graph``.

Two seams for what runs during a backward (torch's AccumulateGrad node and its engine's
final callbacks): while ``leaf_final[0]`` is set, the walk counts the edges into each leaf
and calls ``leaf_final[0](leaf)`` as soon as the last of them has been walked, so a leaf's
post-accumulate-grad hooks fire while the rest of the graph is still being walked
(DistributedDataParallel starts its allreduce there); :func:`queue_callback` queues a
function to run once the outermost backward has finished.

One hook for observing a walk (nerve.diagnostics' backprop trace is built on it): with
``run_backward(..., observer=f)`` the engine calls ``f(node, grad_outputs, grad_inputs)``
for each node it walks, right after the node's backward and the accumulation of its
gradients (so a leaf's ``.grad`` already holds them), before the node is freed:
``grad_outputs`` is the list of the gradients w.r.t. its outputs (None for an output no
path reached), ``grad_inputs`` a tuple with one gradient per input, shaped and typed as
that input (None where no gradient flows). The observer must not change them.

This walk stays on raw arrays and records nothing. ``create_graph=True`` takes a walk of
its own, nerve/autograd/graph_backward.py, which calls each node's ``backward_graph``
(nerve ops on Tensors) with grad mode on, so that the gradients are part of a graph.
"""

from __future__ import annotations

import functools

import numpy as np

from nerve.autograd import versions
from nerve.backend.namespaces import as_array

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
        if grad.dtype.kind == "V":  # bfloat16: sum in float32 (bf16_compute.py says why)
            grad = grad.sum(axis=axes, keepdims=True, dtype=np.float32).astype(grad.dtype)
        else:
            grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def is_freed(node) -> bool:
    """Whether a backward without ``retain_graph`` has freed ``node`` (a graph node, as
    ``tensor.grad_fn``): its saved values and its edges are gone, and a backward through
    it raises the error above. One dict lookup: the node itself, not its history."""
    return node.__dict__.get("parents") is None


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


# set by nerve.autograd.hooks while a leaf has hooks: called with each leaf whose gradient
# is final (every edge into it walked)
leaf_final: list = [None]
_final_callbacks: list = []
_depth = [0]  # nesting of run_backward: a hook may itself call backward


def queue_callback(callback) -> None:
    """Run ``callback()`` when the current backward pass ends, after every gradient has
    been accumulated and every hook has run (torch's
    ``Variable._execution_engine.queue_callback``). Callbacks run in the order queued."""
    if not _depth[0]:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _final_callbacks.append(callback)


def _with_final_callbacks(run):
    @functools.wraps(run)
    def wrapper(*args, **kwargs):
        outer = not _depth[0]
        _depth[0] += 1
        try:
            out = run(*args, **kwargs)
            while outer and _final_callbacks:
                _final_callbacks.pop(0)()
        finally:
            _depth[0] -= 1
            if outer:
                _final_callbacks.clear()
        return out

    return wrapper


def _leaf_edges(order: list) -> dict:
    """id(leaf) -> [edges into it still to walk, leaf], over the nodes of ``order``."""
    waiting: dict = {}
    for fn in order:
        for parent, needed in zip(fn.parents, fn.needs_input_grad):
            if needed and parent._ctx is None:
                w = waiting.get(id(parent))
                if w is None:
                    waiting[id(parent)] = [1, parent]
                else:
                    w[0] += 1
    return waiting


def _release(fn, waiting: dict, final) -> None:
    """``fn`` has been walked: its edges into leaves are done; a leaf with none left is final."""
    for parent, needed in zip(fn.parents, fn.needs_input_grad):
        if needed and parent._ctx is None:
            w = waiting[id(parent)]
            w[0] -= 1
            if not w[0]:
                final(parent)


@_with_final_callbacks
def run_backward(root, grad: np.ndarray, retain_graph: bool = False, observer=None) -> None:
    """Backpropagate ``grad`` (the gradient of the loss w.r.t. ``root``) to the leaves;
    ``observer(node, grad_outputs, grad_inputs)`` sees each node walked (module doc)."""
    given = {id(grad)}
    ctx = root._ctx
    if ctx is None:
        _accumulate_leaf(root, grad, given)
        if leaf_final[0] is not None:
            leaf_final[0](root)
        return
    if ctx.__dict__.get("parents") is None:
        raise RuntimeError(FREED)
    pending = {ctx: [None] * ctx.n_outputs}
    pending[ctx][root._out_index] = grad
    order = toposort(ctx)
    final = leaf_final[0]
    waiting = None if final is None else _leaf_edges(order)
    written = versions.last_write
    for fn in order:
        douts = pending.pop(fn, None)
        if douts is None:
            if waiting is not None:
                _release(fn, waiting, final)
            continue
        if written[0] > fn.__dict__.get("_epoch", 0):  # memory written since fn was recorded
            versions.check_saved(fn)
        if fn.n_outputs == 1:
            dins = fn.backward(douts[0])
        else:
            dins = fn.backward(*douts)
        if type(dins) is not tuple:
            dins = (dins,)
        fitted = [] if observer is not None else None
        for parent, needed, g in zip(fn.parents, fn.needs_input_grad, dins):
            if not needed or g is None:
                if fitted is not None:
                    fitted.append(None)
                continue
            g = _fit(g, parent)
            if fitted is not None:
                fitted.append(g)
            pctx = parent._ctx
            if pctx is None:
                _accumulate_leaf(parent, g, given)
                continue
            slots = pending.get(pctx)
            if slots is None:
                slots = pending[pctx] = [None] * pctx.n_outputs
            i = parent._out_index
            slots[i] = g if slots[i] is None else slots[i] + g
        if waiting is not None:
            _release(fn, waiting, final)
        if observer is not None:
            fitted += [None] * (len(fn.parents) - len(fitted))
            observer(fn, douts, tuple(fitted))
        if not retain_graph:
            fn.__dict__.clear()


def _fit(g, parent) -> np.ndarray:
    if type(g) is not np.ndarray:
        g = as_array(g)
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
