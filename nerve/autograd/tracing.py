"""The tracer seam of ``Function.apply``: while :class:`trace_ops` is active, a callable
``tracer(cls, inputs, params, out)`` is called after every op's forward, with the op's
class, its inputs (Tensors and constants), its keyword parameters and its raw output(s).
nerve.onnx's exporter records a forward pass through it. One tracer at a time; when none
is installed, apply pays one global lookup per op."""

from __future__ import annotations


def _function():
    # function.py imports Tensor, which imports this package: it is looked up on use
    from nerve.autograd import function

    return function


def tracing() -> bool:
    """Whether a tracer is installed."""
    return _function()._tracer is not None


class trace_ops:  # noqa: N801 - a context, used like nerve.no_grad
    """Install ``tracer`` for the body of a ``with``; it is removed however the body ends."""

    def __init__(self, tracer) -> None:
        self.tracer = tracer

    def __enter__(self) -> trace_ops:
        function = _function()
        if function._tracer is not None:
            raise RuntimeError("trace_ops: another tracer is installed; trace one pass at a time")
        function._tracer = self.tracer
        return self

    def __exit__(self, *exc) -> None:
        _function()._tracer = None
