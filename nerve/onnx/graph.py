"""The graph under construction while a forward pass is traced: value names, nodes,
initializers and the stack of nn layers the current op runs in."""

from __future__ import annotations

import numpy as np

from nerve.onnx.errors import OnnxExporterError


def _data(t):
    """Tensors are keyed by their array: the tracer sees the arrays before apply wraps them."""
    return t._data if hasattr(t, "_data") else t


class GraphBuilder:
    """Names each traced Tensor (by identity), collects ONNX nodes and initializers.

    Parameters and buffers keep their state_dict names; any other Tensor or array an op
    reads that the trace did not produce becomes a constant initializer."""

    def __init__(self, onnx, opset: int):
        self.onnx, self.opset = onnx, opset
        self.nodes, self.initializers = [], []
        self.names: dict[int, str] = {}  # id(array) -> value name
        self.produced: set[int] = set()  # ids of graph inputs and node outputs
        self.named_arrays: dict[int, str] = {}  # parameters and buffers, by array id
        self.keep = []  # what the ids refer to stays alive while they are keys
        self.used: set[str] = set()
        self.layers: list[tuple[str, str]] = []  # (qualified name, class name)
        self.counter = 0
        self.current = None  # the Function class being exported
        # with dynamic axes: each op's (class, input shapes, output shapes) in a forward
        # pass whose dynamic axes are one longer, and the index of the current op
        self.probe, self.call = None, 0

    # ----- names ------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        self.counter += 1
        name = f"{hint}_{self.counter}"
        self.used.add(name)
        return name

    def bind(self, obj, name: str, produced: bool = True) -> None:
        self.names[id(obj)] = name
        self.keep.append(obj)
        if produced:
            self.produced.add(id(obj))

    def is_traced(self, t) -> bool:
        return t is not None and id(_data(t)) in self.produced

    def value(self, t) -> str:
        """The name of a Tensor input (a constant initializer if the trace did not make it)."""
        if t is None:
            return ""
        data = _data(t)
        name = self.names.get(id(data))
        if name is not None:
            return name
        known = self.named_arrays.get(id(data))
        if known is not None:
            self.add_initializer(known, data)
            self.bind(data, known, produced=False)
            return known
        name = self.const(data, "const")
        self.bind(data, name, produced=False)
        return name

    def add_initializer(self, name: str, data) -> None:
        if name in self.used:
            return
        self.used.add(name)
        arr = np.ascontiguousarray(data)
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, name))

    def const(self, data, hint: str = "const", dtype=None) -> str:
        arr = np.asarray(data, dtype=dtype)
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def ints(self, values, hint: str = "shape") -> str:
        return self.const(np.asarray(values, np.int64).reshape(-1), hint)

    # ----- dynamic axes -----------------------------------------------------------------
    def check_probe(self, cls, inputs) -> None:
        """The probe ran the same op here; a constant whose shape follows a dynamic axis
        (a tensor made in forward from the input's size) cannot be exported."""
        if self.probe is None:
            return
        if self.call >= len(self.probe) or self.probe[self.call][0] is not cls:
            raise self.fail(
                "the forward pass runs different ops when the dynamic axes "
                "change size; export with fixed axes"
            )
        alt = self.probe[self.call][1]
        for t, shape in zip(inputs, alt):
            if (
                hasattr(t, "_data")
                and not self.is_traced(t)
                and id(t._data) not in self.named_arrays
                and tuple(t.shape) != shape
            ):
                raise self.fail(
                    f"{cls.__name__} reads a tensor made in forward whose shape "
                    f"{tuple(t.shape)} follows a dynamic axis; build it from the "
                    "input (e.g. zeros_like) or export with fixed axes"
                )

    def alt_shapes(self):
        """(input shapes, output shapes) of the current op in the probe, or None."""
        return None if self.probe is None else self.probe[self.call][1:]

    def shape_of(self, x: str, like_in, alt_in, out, alt_out) -> str:
        """A shape tensor for Reshape: the dims that stay put as constants; one changing
        dim as -1; more as (Shape(x)[j] · p/q), j an input dim changing in proportion."""
        out = [int(d) for d in out]
        vary = [i for i, (a, c) in enumerate(zip(out, alt_out)) if a != c]
        if len(vary) <= 1:
            dims = [(-1 if i in vary else d) for i, d in enumerate(out)]
            return self.ints(dims)
        pieces, shape = [], None
        for i, (d, d2) in enumerate(zip(out, alt_out)):
            if d == d2:
                pieces.append(self.ints([d]))
                continue
            j = next(
                (
                    j
                    for j, (u, u2) in enumerate(zip(like_in, alt_in))
                    if u != u2 and d * u2 == d2 * u
                ),
                None,
            )
            if j is None:
                raise self.fail(
                    f"a reshape to {tuple(out)} whose dim {i} does not follow one input dim"
                )
            if shape is None:
                shape = self.one("Shape", [x])
            dim = self.one("Gather", [shape, self.ints([j], "dim")], axis=0)
            u = like_in[j]
            if d % u == 0 and d != u:
                dim = self.one("Mul", [dim, self.ints([d // u], "factor")])
            elif u % d == 0 and d != u:
                dim = self.one("Div", [dim, self.ints([u // d], "factor")])
            elif d != u:
                raise self.fail(
                    f"a reshape to {tuple(out)}: dim {i} is not a multiple or a "
                    f"divisor of input dim {j}"
                )
            pieces.append(dim)
        return self.one("Concat", pieces, axis=0)

    # ----- nodes ------------------------------------------------------------------------
    def layer(self) -> str:
        if not self.layers:
            return "the model's forward"
        path, cls = self.layers[-1]
        return f"{cls} '{path}'" if path else cls

    def node(self, op: str, inputs, n_out: int = 1, **attrs) -> list[str]:
        """Append one node; returns its output names."""
        outs = [self.fresh(op.lower()) for _ in range(n_out)]
        node = self.onnx.helper.make_node(
            op,
            list(inputs),
            outs,
            name=self.fresh(op),
            doc_string=f"nerve layer: {self.layer()}",
            **attrs,
        )
        self.nodes.append(node)
        return outs

    def one(self, op: str, inputs, **attrs) -> str:
        return self.node(op, inputs, 1, **attrs)[0]

    def unsqueeze(self, x: str, axes) -> str:
        return self.one("Unsqueeze", [x, self.ints(axes, "axes")])

    def squeeze(self, x: str, axes) -> str:
        return self.one("Squeeze", [x, self.ints(axes, "axes")])

    def reduce(self, op: str, x: str, axes, keepdims: bool) -> str:
        """ReduceX over ``axes`` (None: all); axes moved from attribute to input at opset 18
        (ReduceSum at 13)."""
        k = int(bool(keepdims))
        if axes is None:
            return self.one(op, [x], keepdims=k)
        axes = [int(a) for a in np.atleast_1d(axes)]
        if op == "ReduceSum" or self.opset >= 18:
            return self.one(op, [x, self.ints(axes, "axes")], keepdims=k)
        return self.one(op, [x], axes=axes, keepdims=k)

    def fail(self, what: str) -> OnnxExporterError:
        return OnnxExporterError(f"onnx export: {what} (in {self.layer()})")
