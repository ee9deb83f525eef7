"""ONNX export and import (torch.onnx's place in nerve).

``export(model, args, f, ...)`` traces one forward pass through ``Function.apply`` and
writes an ONNX model that onnxruntime runs; ``load_model(path)`` reads an ONNX model
into a nerve Module whose initializers are Parameters, so it runs and fine-tunes in
nerve. The onnx package is imported only when one of them is called:
``pip install "nerve[onnx]"``.
"""

from nerve.onnx.errors import (
    OnnxExporterError,
    OnnxLoadError,
    OnnxRunError,
    UnsupportedOperatorError,
)

__all__ = [
    "export",
    "load_model",
    "OnnxExporterError",
    "OnnxLoadError",
    "OnnxRunError",
    "UnsupportedOperatorError",
]


def export(
    model,
    args,
    f,
    input_names=None,
    output_names=None,
    dynamic_axes=None,
    opset_version=17,
    do_constant_folding=True,
    verbose=False,
    training=None,
):
    """Export ``model`` run on ``args`` to the ONNX file (or binary stream) ``f``, as
    torch.onnx.export's tracing exporter: see ``nerve.onnx.exporter.export``.

    The weights are always folded into initializers (``do_constant_folding`` is accepted
    for PyTorch's signature); ``verbose`` prints the graph; ``training`` may only be None
    or False (the export runs the model in eval mode)."""
    from nerve.onnx.exporter import export as _export

    if training not in (None, False):
        raise ValueError(
            f"onnx export: only eval-mode export is supported (training=None "
            f"or False), got training={training!r}"
        )
    proto = _export(
        model,
        args,
        f,
        input_names=input_names,
        output_names=output_names,
        dynamic_axes=dynamic_axes,
        opset_version=opset_version,
    )
    if verbose:
        import onnx

        print(onnx.printer.to_text(proto.graph))
    return proto


def load_model(path):
    """An ONNX file as a nerve Module: see ``nerve.onnx.importer.load_model``."""
    from nerve.onnx.importer import load_model as _load

    return _load(path)
