"""The backprop trace: the lectures' worked examples, printed by the library.

    with backprop_trace(model) as trace:
        loss = loss_fn(model(x), y)
    print(trace.backward(loss))   # runs the backward pass (like loss.backward()) and
                                  # returns the table

One row per graph node, in the order the backward pass visits them: its forward
value, the upstream gradient ∂L/∂out, and for each input the local derivative
∂out/∂in and the gradient sent to it; a parameter's line shows its accumulated
``.grad``. The local derivative is the node's backward applied to ones, 1ᵀ·∂out/∂in:
for an elementwise op exactly ∂outᵢ/∂inᵢ (σ' = σ(1-σ)), for a linear layer of one
sample ∂net/∂w = the input and ∂net/∂b = 1, otherwise a sum over the outputs. Meant
for small networks: arrays are printed in full up to ``max_print`` elements.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nerve.autograd.anomaly_mode import OpWatch, op_name
from nerve.autograd.engine import run_backward
from nerve.autograd.grad_mode import no_grad
from nerve.autograd.versions import mend_stale_edges
from nerve.tensor import Tensor

MAX_NODES = 2000


@dataclass
class TraceInput:
    """One input of a node: its label, the local derivative (or None) and its gradient."""

    label: str
    local: np.ndarray | None
    grad: np.ndarray | None
    accumulated: np.ndarray | None = None


@dataclass
class TraceRow:
    step: int
    node: str
    layer: str | None
    value: np.ndarray
    upstream: np.ndarray
    inputs: list = field(default_factory=list)


class BackpropTrace:
    """The rows of one traced backward pass; ``str()`` is the table."""

    def __init__(self, rows: list, max_print: int = 8) -> None:
        self.rows, self.max_print = rows, max_print

    def row(self, node: str) -> TraceRow:
        """The row of the node named ``node`` (e.g. "Sigmoid#3")."""
        for r in self.rows:
            if r.node == node:
                return r
        raise KeyError(
            f"backprop trace: no node {node!r}; nodes: " + ", ".join(r.node for r in self.rows)
        )

    def __str__(self) -> str:
        fmt = self._fmt
        head = (
            "step",
            "node",
            "layer",
            "forward value",
            "upstream ∂L/∂out",
            "input",
            "local ∂out/∂in",
            "∂L/∂input",
        )
        lines = [head]
        for r in self.rows:
            for i, inp in enumerate(r.inputs or [TraceInput("-", None, None)]):
                first = (str(r.step), r.node, r.layer or "-", fmt(r.value), fmt(r.upstream))
                grad = fmt(inp.grad)
                if inp.accumulated is not None:
                    grad += f"  (.grad {fmt(inp.accumulated)})"
                lines.append((first if i == 0 else ("",) * 5) + (inp.label, fmt(inp.local), grad))
        widths = [max(len(line[c]) for line in lines) for c in range(len(head) - 1)]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(line, widths)) + "  " + line[-1] for line in lines
        )

    def _fmt(self, a) -> str:
        if a is None:
            return "-"
        a = np.asarray(a)
        if a.size == 1:
            return f"{a.item():.6g}"
        return np.array2string(
            a.ravel() if a.ndim > 1 and a.size <= self.max_print else a,
            precision=4,
            threshold=self.max_print,
            edgeitems=2,
            max_line_width=10_000,
            separator=" ",
        ).replace("\n", "")


class backprop_trace(OpWatch):  # noqa: N801 - used like nerve.no_grad, as a context
    """Record the ops of a forward pass, then trace its backward with ``backward(loss)``."""

    def __init__(self, model=None, max_print: int = 8) -> None:
        super().__init__(self._note, model)
        self.max_print = max_print
        self._nodes: dict = {}
        self._params = {id(p): n for n, p in model.named_parameters()} if model else {}

    def _note(self, fn, inputs, out, layer) -> None:
        if len(self._nodes) >= MAX_NODES:
            raise RuntimeError(
                f"backprop_trace: more than {MAX_NODES} ops; the trace is meant for small networks"
            )
        self._nodes[fn] = (f"{op_name(fn)}#{len(self._nodes) + 1}", layer, out)

    def backward(self, loss: Tensor) -> BackpropTrace:
        """Run the backward pass of ``loss`` (accumulating ``.grad`` as ``loss.backward()``
        would) and return its trace: the engine's walk, seen through its observer hook."""
        if not isinstance(loss, Tensor) or loss._ctx is None:
            raise RuntimeError(
                "backprop_trace.backward: expected the loss Tensor produced "
                "inside the traced forward (one that requires grad)"
            )
        rows: list = []

        def observe(fn, douts, dins) -> None:
            name, layer, out = self._nodes.get(fn, (op_name(fn), None, None))
            local = self._local(fn, out)
            upstream = douts[0] if len(douts) == 1 else douts
            row = TraceRow(len(rows) + 1, name, layer, out, upstream)
            for parent, g, loc in zip(fn.parents, dins, local):
                row.inputs.append(self._input(parent, g, loc))
            rows.append(row)

        mend_stale_edges(loss)  # in-place ops may have rebound tensors: as Tensor.backward
        with no_grad():
            run_backward(loss, np.ones_like(loss._data), observer=observe)
        return BackpropTrace(rows, self.max_print)

    def _input(self, parent, g, local) -> TraceInput:
        label = self._label(parent)
        if g is not None and parent._ctx is None:  # a leaf: its .grad holds g already
            return TraceInput(label, local, g, parent.grad._data.copy())
        return TraceInput(label, local, g)

    def _label(self, x) -> str:
        if not isinstance(x, Tensor):
            return "constant"
        if x._ctx is not None:
            return self._nodes.get(x._ctx, (op_name(x._ctx),))[0]
        return self._params.get(id(x), "input" if not x.requires_grad else "leaf")

    @staticmethod
    def _local(fn, out) -> list:
        """∂out/∂in for the inputs shaped like the output: an elementwise op's derivative,
        from its own backward applied to ones (on a copy, so the real pass is untouched)."""
        parents = fn.parents
        if out is None or isinstance(out, tuple) or getattr(fn, "n_outputs", 1) != 1:
            return [None] * len(parents)
        if not any(isinstance(p, Tensor) and p.shape == out.shape for p in parents):
            return [None] * len(parents)
        clone = object.__new__(type(fn))
        clone.__dict__ = {
            k: v.copy() if isinstance(v, np.ndarray) else v for k, v in fn.__dict__.items()
        }
        grads = clone.backward(np.ones_like(out))
        grads = grads if isinstance(grads, tuple) else (grads,)
        return [
            np.asarray(g)
            if g is not None and isinstance(p, Tensor) and np.shape(g) == p.shape
            else None
            for p, g in zip(parents, grads)
        ]
