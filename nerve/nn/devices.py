"""The ``device=`` argument of nerve's layers: honoured for "cpu", refused otherwise.

PyTorch's layers take ``device=`` and create their parameters there; nerve has only the
CPU, so a layer asked for "cuda" raises (as a CPU-only PyTorch does) rather than quietly
building CPU parameters.
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
    position = list(params).index("device") - 1 if kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.POSITIONAL_ONLY) else None

    @functools.wraps(init)
    def checked_init(self, *args, **kwargs):
        device = kwargs.get("device")
        if device is None and position is not None and len(args) > position:
            device = args[position]
        if device is not None:
            check_device(device)
        init(self, *args, **kwargs)

    cls.__init__ = checked_init
