"""The backward pass recorded as a graph: ``create_graph=True`` (double backward).

The first-order walk (nerve/autograd/engine.py) runs each node's ``backward`` on raw
arrays and records nothing. This walk runs with grad mode on and calls each node's
``backward_graph(*grad_outputs)`` instead: the same gradient rule written with nerve's
own ops, Tensors in and Tensors out, reading the node's inputs from ``parents`` (the
original Tensors, with their own history). The gradients it produces therefore have a
``grad_fn``, and differentiating them again reaches both the upstream gradients and the
inputs of every node: ∂/∂x (vᵀ ∂f/∂x) = vᵀ ∂²f/∂x².

A node without ``backward_graph`` raises a RuntimeError naming it: a detached
gradient there would make every second derivative through it silently wrong.

Leaves follow PyTorch's AccumulateGrad under create_graph: the first gradient is
stored as a copy (``clone``, itself differentiable), later ones are added out of place
(``grad = grad + g``), so ``.grad`` stays part of the graph.
"""

from __future__ import annotations

import functools

from nerve.autograd import hooks, versions
from nerve.autograd.custom import once_differentiable
from nerve.autograd.engine import FREED, _with_final_callbacks, toposort
from nerve.autograd.function import Function
from nerve.autograd.grad_mode import enable_grad, no_grad

NO_GRAPH = (
    "{name}: no differentiable backward (backward_graph) is implemented for this op, "
    "so its gradient cannot be part of a graph; create_graph=True (double backward, "
    "hessian, hvp, gradient penalties) is not supported through {name}"
)


# once_differentiable's wrapper, recognised by its code object (custom.py marks nothing)
_ONCE_CODE = once_differentiable(lambda ctx: None).__code__


class _Root:
    """Stands for the loss over several outputs: toposort walks from its parents."""

    def __init__(self, outputs: tuple) -> None:
        self.parents = outputs


@_with_final_callbacks  # queue_callback works during this backward too
def run_graph_backward(outputs: tuple, grads: list, retain_graph: bool, inputs=None):
    """Backpropagate ``grads`` (Tensors, one per output) with the backward recorded.

    Without ``inputs``, accumulate into every leaf's ``.grad`` (``Tensor.backward``);
    with ``inputs`` (a tuple of Tensors), return their gradients (None where unused)
    and touch no ``.grad`` (``autograd.grad``)."""
    from nerve.tensor import Tensor

    wanted = None if inputs is None else {id(x): k for k, x in enumerate(inputs)}
    results = None if inputs is None else [None] * len(inputs)
    wanted_nodes = (
        {}
        if inputs is None
        else {(x._ctx, x._out_index): k for k, x in enumerate(inputs) if x._ctx}
    )
    leaf_sums: dict = {}  # id(leaf) -> [leaf, summed gradient]
    for o in outputs:
        ctx = o._ctx
        if ctx is not None and ctx.__dict__.get("parents") is None:
            raise RuntimeError(FREED)
    if versions.rebinds_live[0]:  # in-place ops rebound tensors (as Tensor.backward does)
        for o in outputs:
            versions.mend_stale_edges(o)
    order = toposort(_Root(tuple(outputs)))[1:]
    keep = None if wanted is None else _useful(order, wanted, wanted_nodes)
    pending: dict = {}
    with enable_grad():
        for o, g in zip(outputs, grads):
            _send(o, g, pending, leaf_sums, wanted)
        for fn in order:
            douts = pending.pop(fn, None)
            if douts is None:
                continue
            if versions.last_write[0] > fn.__dict__.get("_epoch", 0):
                versions.check_saved(fn, strict=True)  # memory written since fn was recorded
            douts = _node_hooks(fn, douts)
            for i, g in enumerate(douts):
                k = wanted_nodes.get((fn, i))
                if k is not None and g is not None:
                    results[k] = g
            if keep is not None and fn not in keep:
                continue
            for parent, needed, g in zip(fn.parents, fn.needs_input_grad, _run_node(fn, douts)):
                if needed and g is not None:
                    if not isinstance(g, Tensor):
                        g = Tensor._wrap(g)
                    _send(parent, _fit(g, parent), pending, leaf_sums, wanted)
            if not retain_graph:
                fn.__dict__.clear()
        if results is not None:
            for k, x in enumerate(inputs):
                if x._ctx is None and id(x) in leaf_sums:
                    results[k] = _leaf_hooks(x, leaf_sums[id(x)][1])
            return results
        for leaf, g in leaf_sums.values():
            _accumulate(leaf, g)
    return None


def _run_node(fn, douts: list) -> tuple:
    """One gradient (Tensor or None) per input of ``fn``, from its differentiable backward."""
    backward_graph = _backward_graph_of(fn)
    if backward_graph is None:
        raise RuntimeError(NO_GRAPH.format(name=fn.name()))
    stale = _overwritten_parents(fn)
    if stale is None:
        dins = backward_graph(*douts)
    else:
        parents, fn.parents = fn.parents, stale
        try:
            dins = backward_graph(*douts)
        finally:
            fn.parents = parents
    return dins if type(dins) is tuple else (dins,)


def _backward_graph_of(fn):
    """The node's differentiable backward: an op's ``backward_graph``, or for a custom
    ``autograd.Function`` its user ``backward`` (written with Tensor ops, as in PyTorch)."""
    from nerve.autograd import custom

    if isinstance(fn, custom.BackwardCFunction):
        return functools.partial(_custom_backward, fn)
    return getattr(fn, "backward_graph", None)


def _custom_backward(node, *douts):
    """The user's ``backward(ctx, *grads)`` with grad mode on; one marked
    ``@once_differentiable`` runs without recording, and its results raise if a later
    backward reaches them (PyTorch's behaviour)."""
    from nerve.tensor import Tensor

    grads = []
    for g, (shape, dtype, xp) in zip(douts, node.__dict__["_out_meta"]):
        if g is None and node.materialize_grads and shape is not None:
            g = Tensor._wrap(xp.zeros(shape, dtype))
        grads.append(g)
    user = node._forward_cls.backward
    if getattr(user, "__code__", None) is _ONCE_CODE:
        with no_grad():
            result = user(node, *grads)
        anchors = [t for t in grads if isinstance(t, Tensor) and t.requires_grad]
        result = result if isinstance(result, tuple) else (result,)
        result = tuple(
            r if r is None or not anchors else _NotTwice.apply(r, *anchors, name=node.name())
            for r in result
        )
    else:
        result = user(node, *grads)
    result = result if isinstance(result, tuple) else (result,)
    n = len(node.parents)
    if len(result) > n and all(g is None for g in result[n:]):
        result = result[:n]
    if len(result) != n:
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {n}, got {len(result)})"
        )
    return result


class _NotTwice(Function):
    """y = g (the result of a @once_differentiable backward); its backward raises."""

    def forward(self, g, *anchors, name=""):
        self.fn_name = name
        return g

    def backward(self, dy):
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with "
            f"@once_differentiable ({self.fn_name})"
        )


def _overwritten_parents(fn):
    """``fn.parents`` with each input whose value an in-place op has since overwritten
    replaced by a stand-in that raises when read, or None when there is none.

    nerve/ops/inplace/updates.py keeps a rebound tensor's old version only as a place in the graph
    (its array becomes a zero-stride dummy; the nodes saved the raw values they need), so
    a backward_graph that reads that input's values would compute on the dummy."""
    stale = None
    for i, (p, needed) in enumerate(zip(fn.parents, fn.needs_input_grad)):
        arr = getattr(p, "_data", None)
        if (
            needed
            and arr is not None
            and arr.ndim
            and arr.base is not None
            and arr.base.size == 1
            and arr.flags.writeable
            and not any(arr.strides)
        ):
            stale = stale or list(fn.parents)
            stale[i] = _Overwritten.of(p, fn.name())
    return None if stale is None else tuple(stale)


def _overwritten_class():
    from nerve.tensor import Tensor

    class Overwritten(Tensor):
        """Stands for an input overwritten in place: its place in the graph, no values."""

        __slots__ = ("node_name",)

        @classmethod
        def of(cls, p, name: str):
            t = object.__new__(cls)
            t.grad, t.requires_grad, t._ctx, t._out_index, t._hooks = (
                None,
                p.requires_grad,
                p._ctx,
                p._out_index,
                None,
            )
            t.node_name = name
            return t

        @property
        def _data(self):
            raise RuntimeError(
                f"{self.node_name}: create_graph=True needs the value of an input that an "
                "in-place operation has overwritten since (nerve keeps no copy of the old "
                "value); use the out-of-place op (e.g. x = x.relu() for x.relu_())"
            )

    return Overwritten


class _LazyOverwritten:
    cls = None

    def of(self, p, name: str):
        if self.cls is None:
            self.cls = _overwritten_class()
        return self.cls.of(p, name)


_Overwritten = _LazyOverwritten()


def _useful(order: list, wanted: dict, wanted_nodes: dict) -> set:
    """The nodes whose backward leads to a wanted input (autograd.grad runs no other)."""
    useful: set = set()
    for fn in reversed(order):  # each node after the nodes of its inputs
        for parent, needed in zip(fn.parents, fn.needs_input_grad):
            if not needed:
                continue
            pctx = parent._ctx
            if (
                (id(parent) in wanted and pctx is None)
                or pctx in useful
                or (pctx is not None and (pctx, parent._out_index) in wanted_nodes)
            ):
                useful.add(fn)
                break
    return useful


def _send(t, g, pending: dict, leaf_sums: dict, wanted) -> None:
    """Add ``g`` to the gradient of ``t``: a leaf's running sum or its node's slot."""
    ctx = t._ctx
    if ctx is None:
        if wanted is not None and id(t) not in wanted:
            return
        entry = leaf_sums.get(id(t))
        if entry is None:
            leaf_sums[id(t)] = [t, g]
        else:
            entry[1] = entry[1] + g
        return
    slots = pending.get(ctx)
    if slots is None:
        slots = pending[ctx] = [None] * ctx.n_outputs
    i = t._out_index
    slots[i] = g if slots[i] is None else slots[i] + g


def _fit(g, parent):
    """``g`` summed over the axes along which ``parent`` was broadcast, in its dtype."""
    shape = parent._data.shape
    if g._data.shape != shape:
        lead = g.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and g._data.shape[lead + i] != 1
        )
        if axes:
            g = g.sum(dim=axes, keepdim=True)
        g = g.reshape(shape)
    if g._data.dtype != parent._data.dtype:
        g = g.to(parent._data.dtype)
    return g


def _node_hooks(fn, douts: list) -> list:
    """Hooks and retain_grad of the node's outputs, on the summed gradients (Tensors)."""
    state = fn.__dict__.get("_tensor_hooks")
    if not state:
        return douts
    for i in set(state["hooks"]) | set(state["retain"]):
        g = douts[i]
        if g is None:
            continue
        for hook in list(state["hooks"].get(i, ())):
            out = hook(g)
            if out is not None:
                g = out
        ref = state["retain"].get(i)
        t = ref() if ref is not None else None
        if t is not None:
            t.grad = g.clone() if t.grad is None else t.grad + g
        douts[i] = g
    return douts


def _leaf_hooks(leaf, g):
    for hook in list(leaf._hooks or ()):
        out = hook(g)
        if out is not None:
            g = out
    return g


def _accumulate(leaf, g) -> None:
    """PyTorch's AccumulateGrad with grad mode on: a copy first, then ``grad + g``."""
    g = _leaf_hooks(leaf, g)
    if leaf.grad is None:
        leaf.grad = g.clone()
    else:
        leaf.grad = leaf.grad + g
    entry = hooks._leaves.get(id(leaf))
    if entry is not None and entry.ref() is leaf:
        for hook in list(entry.post):
            hook(leaf)
