"""Which ONNX nodes each nerve Function becomes: handler(builder, inputs, params, out)
returns one value name per output of the Function. The families register themselves in
the modules ``export_*.py``."""

from __future__ import annotations

HANDLERS: dict[type, object] = {}


def register(*classes):
    def put(handler):
        for cls in classes:
            HANDLERS[cls] = handler
        return handler

    return put


def load_families() -> None:
    from nerve.onnx import (  # noqa: F401  (importing registers the handlers)
        export_activation,
        export_elementwise,
        export_layers,
        export_recurrent,
        export_shape,
    )
