"""``nerve.autograd.backward`` and ``nerve.autograd.grad``: PyTorch's two entry points.

Several outputs are joined by one :class:`_Roots` node (its backward hands each output
its grad_output), so the engine walks the graph once, from one scalar root, as PyTorch
does with several roots. ``grad`` reads the gradients off the inputs and puts every
leaf's ``.grad`` back as it was.
"""

from __future__ import annotations

from nerve.autograd import hooks
from nerve.autograd.engine import toposort
from nerve.autograd.function import Function
from nerve.autograd.graph_backward import run_graph_backward
from nerve.backend import array_module
from nerve.dtypes import float64
from nerve.tensor import Tensor
from nerve.tensor.ops_table import ops


class _Roots(Function):
    """Joins several outputs into one root: r = 0;  ∂L/∂outputᵢ = grad_outputᵢ."""

    def forward(self, *outputs, grads=()):
        self.grads = grads
        return array_module(*outputs).zeros((), float64)

    def backward(self, dr):
        return self.grads


def _seq(x) -> tuple:
    return tuple(x) if isinstance(x, list | tuple) else (x,)


def _grad_outputs(outputs: tuple, grad_outputs) -> list:
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    grad_outputs = _seq(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    arrays = []
    for i, (o, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(o, Tensor) or not o.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if o._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            arrays.append(array_module(o._data).ones_like(o._data))
            continue
        arr = g._data if isinstance(g, Tensor) else array_module(o._data).asarray(g)
        if arr.shape != o._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of "
                f"nerve.Size({list(arr.shape)}) and output[{i}] has a shape "
                f"of nerve.Size({list(o._data.shape)})."
            )
        arrays.append(arr.astype(o._data.dtype, copy=False))
    return arrays


def _run(outputs: tuple, grads: list, retain_graph) -> None:
    if len(outputs) == 1:
        outputs[0].backward(Tensor._wrap(grads[0]), retain_graph=retain_graph)
        return
    from nerve.autograd.grad_mode import enable_grad

    with enable_grad():
        root = _Roots.apply(*outputs, grads=tuple(grads))
    root.backward(retain_graph=retain_graph)


def backward(
    tensors,
    grad_tensors=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables=None,
    inputs=None,
) -> None:
    """Accumulate the gradients of ``tensors`` (weighted by ``grad_tensors``) into the
    ``.grad`` of the leaves, or only of ``inputs`` when given."""
    if grad_variables is not None:
        grad_tensors = grad_variables
    outputs = _seq(tensors)
    if create_graph:
        if inputs is not None and not _seq(inputs):
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        _graph_backward(
            outputs, grad_tensors, retain_graph, None if inputs is None else _seq(inputs)
        )
        return
    if inputs is not None:
        inputs = _seq(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        got = grad(outputs, inputs, grad_tensors, retain_graph, allow_unused=True)
        for x, g in zip(inputs, got):
            if g is None:
                continue
            if x.grad is None:
                x.grad = Tensor._wrap(g._data.copy())
            else:
                x.grad._data = x.grad._data + g._data
            entry = hooks._leaves.get(id(x)) if x._ctx is None else None
            if entry is not None and entry.ref() is x:
                for hook in list(entry.post):
                    hook(x)
        return
    _run(outputs, _grad_outputs(outputs, grad_tensors), retain_graph)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
):
    """The gradients of ``outputs`` w.r.t. ``inputs`` (leaves or not), leaving every
    ``.grad`` untouched. ``inputs`` may be a dict name -> tensor (a dict comes back)."""
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when "
            "materialize_grads=True, but got: allow_unused=False."
        )
    if isinstance(inputs, dict):
        names = list(inputs)
        got = grad(
            outputs,
            [inputs[k] for k in names],
            grad_outputs,
            retain_graph,
            create_graph,
            only_inputs,
            allow_unused,
            is_grads_batched,
            materialize_grads,
        )
        return dict(zip(names, got))
    outputs, inputs = _seq(outputs), _seq(inputs)
    if is_grads_batched:
        return _batched(
            outputs,
            inputs,
            grad_outputs,
            retain_graph,
            allow_unused,
            materialize_grads,
            create_graph,
        )
    for x in inputs:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _grad_outputs(outputs, grad_outputs)
    if create_graph:
        got = run_graph_backward(
            outputs,
            _as_tensors(grads, grad_outputs),
            create_graph if retain_graph is None else retain_graph,
            inputs,
        )
    else:
        got = [
            None if g is None else Tensor._wrap(g)
            for g in _collect(outputs, inputs, grads, retain_graph)
        ]
    result = []
    for i, (x, g) in enumerate(zip(inputs, got)):
        if g is None:
            if materialize_grads:
                g = Tensor._wrap(array_module(x._data).zeros_like(x._data))
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not "
                    "have been used in the graph. Set allow_unused=True if "
                    "this is the desired behavior."
                )
        result.append(g)
    return tuple(result)


def _as_tensors(arrays: list, grad_outputs) -> list:
    """The grad_outputs as Tensors for the recorded walk: a given Tensor of the right
    dtype is kept as it is (a gradient may flow into it, as ``vhp`` needs)."""
    given = (None,) * len(arrays) if grad_outputs is None else _seq(grad_outputs)
    return [
        g if isinstance(g, Tensor) and g._data.dtype == a.dtype else Tensor._wrap(a)
        for a, g in zip(arrays, given)
    ]


def _graph_backward(outputs: tuple, grad_tensors, retain_graph, inputs) -> None:
    """``backward(create_graph=True)``: the recorded walk into ``.grad`` (of ``inputs``
    only, when given); the graph is kept unless ``retain_graph=False``."""
    grads = _as_tensors(_grad_outputs(outputs, grad_tensors), grad_tensors)
    retain = True if retain_graph is None else bool(retain_graph)
    if inputs is None:
        run_graph_backward(outputs, grads, retain)
        return
    got = run_graph_backward(outputs, grads, retain, inputs)
    for x, g in zip(inputs, got):
        if g is not None:
            x.grad = g.clone() if x.grad is None else x.grad + g


def _collect(outputs: tuple, inputs: tuple, grads: list, retain_graph) -> list:
    """Run backward; return each input's gradient array (or None) and restore .grad."""
    leaves = _leaves(outputs)
    saved = [(x, x.grad, None if x.grad is None else x.grad._data) for x in leaves]
    leaf_inputs = [x for x in inputs if x._ctx is None]
    for x in leaf_inputs:
        x.grad = None
    captured = {id(x): hooks.capture(x) for x in inputs if x._ctx is not None}
    prev, hooks.grad_call[0] = hooks.grad_call[0], {id(x) for x in leaf_inputs}
    try:
        _run(outputs, grads, retain_graph)
        got = []
        for x in inputs:
            if x._ctx is None:
                got.append(None if x.grad is None else x.grad._data)
            else:
                parts = captured[id(x)]
                got.append(
                    None if not parts else parts[0] if len(parts) == 1 else sum(parts[1:], parts[0])
                )
        return got
    finally:
        hooks.grad_call[0] = prev
        for x in inputs:
            if x._ctx is not None:
                hooks.release(x)
        for x, g, data in saved:
            x.grad = g
            if g is not None:
                g._data = data


def _leaves(outputs: tuple) -> list:
    """Every leaf the backward of ``outputs`` may write ``.grad`` into."""
    found: dict = {}
    for o in outputs:
        if o._ctx is None:
            found[id(o)] = o
            continue
        for node in toposort(o._ctx):
            for p in node.parents:
                if isinstance(p, Tensor) and p._ctx is None:
                    found[id(p)] = p
    return list(found.values())


def _batched(
    outputs, inputs, grad_outputs, retain_graph, allow_unused, materialize, create_graph=False
) -> tuple:
    """``is_grads_batched``: one backward per row of the batched grad_outputs."""
    gos = _seq(grad_outputs)
    n = gos[0].shape[0]
    rows = []
    for b in range(n):
        keep = True if b < n - 1 else retain_graph
        rows.append(
            grad(
                outputs,
                inputs,
                [g[b] for g in gos],
                keep,
                create_graph,
                True,
                allow_unused,
                False,
                materialize,
            )
        )
    out = []
    for i in range(len(inputs)):
        col = [r[i] for r in rows]
        if col[0] is None:
            out.append(None)
        elif create_graph:  # through the op, so the stacked rows stay in the graph
            out.append(ops.stack(col))
        else:
            out.append(Tensor._wrap(array_module(col[0]._data).stack([c._data for c in col])))
    return tuple(out)
