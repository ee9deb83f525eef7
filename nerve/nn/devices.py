"""The ``device=`` argument of nerve's layers, honoured generically.

PyTorch's layers take ``device=`` and create their parameters there; nerve's layers build
them on the CPU (so the initial weights are the same numbers on every device) and then
move the whole layer with ``Module.to(device)``. A device that is not available raises
before the layer is built (as a CPU-only PyTorch does for "cuda").
"""

from __future__ import annotations

import functools
import inspect

from nerve.backend import check_device


def check_device_argument(cls: type) -> None:
    """Wrap ``cls.__init__`` (nerve's own layers only) so that its ``device`` argument,
    when given, is checked before the layer is built."""
    init = cls.__dict__.get("__init__")
    if init is None or not cls.__module__.startswith("nerve."):
        return
    params = inspect.signature(init).parameters
    if "device" not in params:
        return
    kind = params["device"].kind
    position = (
        list(params).index("device") - 1
        if kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.POSITIONAL_ONLY)
        else None
    )

    @functools.wraps(init)
    def checked_init(self, *args, **kwargs):
        device = kwargs.get("device")
        if device is None and position is not None and len(args) > position:
            device = args[position]
        if device is not None:
            device = check_device(device, f"{cls.__name__}(device=...)")
        init(self, *args, **kwargs)
        if device is not None and device.type != "cpu":
            self.to(device)

    cls.__init__ = checked_init
