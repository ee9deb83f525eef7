"""The exceptions of nerve.onnx, importable without the onnx package."""

from __future__ import annotations

INSTALL_HINT = 'nerve.onnx needs the onnx and onnxruntime packages: pip install "nerve[onnx]"'


class OnnxExporterError(RuntimeError):
    """An export failed: the traced model holds something ONNX cannot express here."""


class UnsupportedOperatorError(OnnxExporterError):
    """A nerve Function (or an ONNX node, on import) that has no mapping."""


class OnnxLoadError(RuntimeError):
    """An .onnx file is unreadable, malformed, or uses what load_model cannot run."""


class OnnxRunError(RuntimeError):
    """A node of a loaded ONNX graph failed on the inputs it was given (names the node)."""


def require_onnx():
    """The onnx module, or an ImportError saying what to install."""
    try:
        import onnx
    except ImportError as err:
        raise ImportError(INSTALL_HINT) from err
    return onnx
