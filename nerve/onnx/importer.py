"""nerve.onnx.load_model: an ONNX graph as a nerve Module run by nerve's ops.

The file is parsed by the onnx package (protobuf: no code runs on load). Floating-point
initializers become Parameters (so the model fine-tunes), the others constant Tensors;
``forward`` evaluates the nodes in graph order with differentiable nerve ops."""

from __future__ import annotations

import re

import numpy as np

from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.onnx.errors import OnnxLoadError, OnnxRunError, UnsupportedOperatorError, require_onnx
from nerve.tensor import Tensor


def load_model(path) -> OnnxModule:
    """Read the ONNX model at ``path`` (a path, bytes or a binary file object) and return
    an ``OnnxModule``: ``module(*inputs)`` runs the graph on nerve Tensors (in the
    graph's input order) and returns its output, or a tuple of its outputs.

    Raises OnnxLoadError for an unreadable, truncated or malformed file and
    UnsupportedOperatorError naming the first node whose op nerve cannot run."""
    onnx = require_onnx()
    from nerve.onnx import import_ops, import_recurrent, import_shape  # noqa: F401 - they fill OPS
    from nerve.onnx.import_registry import OPS

    label = path if isinstance(path, str) else "<onnx model>"
    try:
        if isinstance(path, bytes | bytearray):
            data = bytes(path)
        elif hasattr(path, "read"):
            data = path.read()
        else:
            with open(path, "rb") as fh:
                data = fh.read()
    except OSError as err:
        raise OnnxLoadError(f"load_model: cannot read '{label}': {err}") from None
    try:
        proto = onnx.load_from_string(data)
    except Exception as err:  # protobuf's DecodeError and friends
        raise OnnxLoadError(
            f"load_model: '{label}' is not a readable ONNX model (truncated "
            f"or not ONNX): {type(err).__name__}: {err}"
        ) from None
    if not proto.HasField("graph") or not proto.graph.node:
        raise OnnxLoadError(
            f"load_model: '{label}' holds no ONNX graph (empty or not an ONNX model)"
        )
    try:
        onnx.checker.check_model(proto)
        # types and static shapes must agree node by node; a damaged weight shape or
        # attribute is refused here instead of failing when the model first runs
        onnx.shape_inference.infer_shapes(proto, check_type=True, strict_mode=True)
    except Exception as err:
        raise OnnxLoadError(f"load_model: '{label}' is a malformed ONNX model: {err}") from None
    for node in proto.graph.node:
        if node.domain not in ("", "ai.onnx") or node.op_type not in OPS:
            raise UnsupportedOperatorError(
                f"load_model: ONNX op {node.domain + '.' if node.domain else ''}"
                f"{node.op_type} (node '{node.name}') of '{label}' has no nerve mapping"
            )
    return OnnxModule(proto, label)


class OnnxModule(Module):
    """An ONNX graph run by nerve ops. ``initializer_names`` maps each Parameter's
    attribute name back to the ONNX initializer it came from."""

    def __init__(self, proto, label: str = "<onnx model>"):
        super().__init__()
        from onnx import numpy_helper

        graph = proto.graph
        self._label, self._nodes = label, list(graph.node)
        self._consts: dict[str, Tensor] = {}
        self._params: dict[str, str] = {}  # onnx name -> attribute name
        self.initializer_names: dict[str, str] = {}
        for init in graph.initializer:
            try:
                arr = numpy_helper.to_array(init).copy()
            except Exception as err:  # raw bytes that do not fill the declared shape
                raise OnnxLoadError(
                    f"load_model: '{label}': initializer '{init.name}' is "
                    f"malformed: {type(err).__name__}: {err}"
                ) from None
            if arr.dtype.kind == "f":
                attr = _attr_name(init.name, self._params.values())
                self.register_parameter(attr, Parameter(Tensor._wrap(arr)))
                self._params[init.name] = attr
                self.initializer_names[attr] = init.name
            else:
                self._consts[init.name] = Tensor._wrap(arr)
        known = {i.name for i in graph.initializer}
        self._inputs = [i.name for i in graph.input if i.name not in known]
        self._outputs = [o.name for o in graph.output]
        self._attrs = [_attributes(n) for n in self._nodes]

    def forward(self, *inputs):
        from nerve.onnx.import_registry import OPS

        if len(inputs) != len(self._inputs):
            raise TypeError(
                f"{self._label}: the ONNX graph takes {len(self._inputs)} inputs "
                f"({', '.join(self._inputs)}), got {len(inputs)}"
            )
        env: dict[str, Tensor] = dict(self._consts)
        for onnx_name, attr in self._params.items():
            env[onnx_name] = getattr(self, attr)
        for name, x in zip(self._inputs, inputs):
            env[name] = x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x))
        for node, attrs in zip(self._nodes, self._attrs):
            args = [env[i] if i else None for i in node.input]
            try:
                outs = OPS[node.op_type](args, attrs)
            except (UnsupportedOperatorError, OnnxLoadError):
                raise
            except Exception as err:
                raise OnnxRunError(
                    f"{self._label}: ONNX node '{node.name}' ({node.op_type}) failed: {err}"
                ) from err
            outs = outs if isinstance(outs, tuple | list) else (outs,)
            for name, t in zip(node.output, outs):
                if name:
                    env[name] = t
        result = tuple(env[o] for o in self._outputs)
        return result[0] if len(result) == 1 else result

    def extra_repr(self) -> str:
        return f"'{self._label}', {len(self._nodes)} nodes"


def _attr_name(name: str, taken) -> str:
    base = re.sub(r"\W", "_", name) or "param"
    base = base if not base[0].isdigit() else "p_" + base
    attr, k = base, 1
    while attr in taken:
        k += 1
        attr = f"{base}_{k}"
    return attr


def _attributes(node) -> dict:
    from onnx import helper, numpy_helper

    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        if a.type == a.TENSOR:
            v = numpy_helper.to_array(v)
        elif isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, list) and v and isinstance(v[0], bytes):
            v = [s.decode() for s in v]
        out[a.name] = v
    return out
