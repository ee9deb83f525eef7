"""nerve.onnx.export: trace one forward pass through Function.apply into an ONNX graph."""

from __future__ import annotations

import numpy as np

from nerve.autograd.tracing import trace_ops, tracing
from nerve.onnx.errors import OnnxExporterError, UnsupportedOperatorError, require_onnx
from nerve.onnx.graph import GraphBuilder
from nerve.onnx.registry import HANDLERS, load_families
from nerve.tensor import Tensor

_ONNX_DTYPES = {
    "float32": 1,
    "uint8": 2,
    "int8": 3,
    "int32": 6,
    "int64": 7,
    "bool": 9,
    "float16": 10,
    "float64": 11,
}


def export(
    model, args, f, input_names=None, output_names=None, dynamic_axes=None, opset_version: int = 17
):
    """Trace ``model(*args)`` in eval mode and write it as an ONNX model to ``f`` (a path
    or a binary file object), as torch.onnx.export's tracing exporter.

    ``args``: a Tensor or a tuple of Tensors; ``input_names``/``output_names`` name the
    graph's inputs and outputs (default input_0.., output_0..); ``dynamic_axes`` maps a
    name to the axes of variable size ({"x": {0: "batch"}} or {"x": [0]}). The weights
    are initializers under their state_dict names; each node's doc_string names the nerve
    layer it came from. Returns the onnx.ModelProto."""
    onnx = require_onnx()
    if tracing():
        raise OnnxExporterError("onnx export: another export is tracing already")
    if not 7 <= opset_version <= 26:
        raise ValueError(
            f"onnx export: opset_version must lie in 7..26 (onnxruntime's), got {opset_version}"
        )
    load_families()
    args = (args,) if isinstance(args, Tensor) else tuple(args)
    b = GraphBuilder(onnx, opset_version)
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        b.named_arrays[id(t._data)] = name
        b.keep.append(t)
    input_names = list(input_names or [f"input_{i}" for i in range(len(args))])
    inputs = []
    for name, a in zip(input_names, args):
        if not isinstance(a, Tensor):
            raise TypeError(
                f"onnx export: expected the model's inputs as Tensors, got "
                f"{type(a).__name__} for '{name}'"
            )
        b.bind(a._data, name)
        b.used.add(name)
        inputs.append(_value_info(onnx, name, a, dynamic_axes))
    dyn = {input_names.index(k): v for k, v in (dynamic_axes or {}).items() if k in input_names}
    if dyn:
        b.probe = _probe(model, args, dyn)
    outs = _trace(model, args, b)
    if b.probe is not None and b.call != len(b.probe):
        raise OnnxExporterError(
            "onnx export: the forward pass runs different ops when the "
            "dynamic axes change size; export with fixed axes"
        )
    outs = [outs] if isinstance(outs, Tensor) else list(_flatten(outs))
    output_names = list(output_names or [])
    output_names += [f"output_{i}" for i in range(len(output_names), len(outs))]
    outputs = []
    for name, t in zip(output_names, outs):
        b.nodes.append(onnx.helper.make_node("Identity", [b.value(t)], [name], name=name))
        outputs.append(_value_info(onnx, name, t, dynamic_axes))
    graph = onnx.helper.make_graph(b.nodes, type(model).__name__, inputs, outputs, b.initializers)
    opset = [onnx.helper.make_opsetid("", opset_version)]
    ir = onnx.helper.find_min_ir_version_for(opset)
    proto = onnx.helper.make_model(graph, opset_imports=opset, ir_version=ir, producer_name="nerve")
    data = proto.SerializeToString()
    if hasattr(f, "write"):
        f.write(data)
    else:
        with open(f, "wb") as fh:
            fh.write(data)
    return proto


def _flatten(x):
    if isinstance(x, Tensor):
        yield x
    elif isinstance(x, tuple | list):
        for item in x:
            yield from _flatten(item)
    elif x is not None:
        raise OnnxExporterError(
            f"onnx export: the model returned a {type(x).__name__}; "
            "expected Tensors (or tuples of them)"
        )


def _value_info(onnx, name, t, dynamic_axes):
    dyn = (dynamic_axes or {}).get(name, {})
    dyn = dict(dyn) if isinstance(dyn, dict) else {int(a): f"{name}_dim{a}" for a in dyn}
    shape = [dyn.get(i, dyn.get(i - t.ndim, n)) for i, n in enumerate(t.shape)]
    elem = _ONNX_DTYPES.get(str(t._data.dtype))
    if elem is None:
        raise OnnxExporterError(
            f"onnx export: '{name}' has dtype {t._data.dtype}, which ONNX cannot hold here"
        )
    return onnx.helper.make_tensor_value_info(name, elem, shape)


def _shapes(values) -> list:
    return [
        tuple(np.shape(v._data if isinstance(v, Tensor) else v)) if v is not None else None
        for v in values
    ]


def _probe(model, args, dynamic: dict) -> list:
    """Run the forward once more with every dynamic axis one longer (the inputs padded by
    repeating their first slice, so token ids stay valid) and record each op's class and
    input and output shapes: the dims that change are the ones the export must compute."""
    from nerve.autograd.grad_mode import no_grad

    grown = list(args)
    for i, axes in dynamic.items():
        arr = args[i]._data
        for ax in axes.keys() if isinstance(axes, dict) else axes:
            arr = np.concatenate([arr, arr.take([0], axis=int(ax))], axis=int(ax))
        grown[i] = Tensor._wrap(arr)
    calls = []

    def record(cls, inputs, params, out):
        outs = out if type(out) is tuple else (out,)
        calls.append((cls, _shapes(inputs), _shapes(outs)))

    was_training = model.training
    model.eval()
    try:
        with trace_ops(record), no_grad():
            model(*grown)
    except Exception as err:
        raise OnnxExporterError(
            f"onnx export: the model fails when a dynamic axis changes "
            f"size: {type(err).__name__}: {err}"
        ) from err
    finally:
        model.train(was_training)
    return calls


def _trace(model, args, b: GraphBuilder):
    """Run the forward pass in eval mode with the tracer installed and layer hooks on."""
    from nerve.autograd.grad_mode import no_grad

    def tracer(cls, inputs, params, out):
        b.check_probe(cls, inputs)
        handler = HANDLERS.get(cls)
        if handler is None:
            raise UnsupportedOperatorError(
                f"onnx export: nerve op {cls.__name__} has no ONNX mapping (in {b.layer()})"
            )
        b.current = cls
        names = handler(b, inputs, params, out)
        outs = out if type(out) is tuple else (out,)
        for o, name in zip(outs, names):
            if o is not None and name:
                b.bind(o, name)
        b.call += 1

    hooks = []
    for path, m in model.named_modules():

        def pre(mod, _args, path=path):
            b.layers.append((path, type(mod).__name__))

        def post(mod, _args, _out):
            b.layers.pop()

        hooks += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
    was_training = model.training
    model.eval()
    try:
        with trace_ops(tracer), no_grad():
            return model(*args)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
