"""``skip_init``: build a module without running its initialisation, as
``torch.nn.utils.skip_init`` (for when the weights are about to be loaded anyway)."""

from __future__ import annotations

import inspect
from contextlib import contextmanager

from nerve.nn import init
from nerve.nn.module import Module

__all__ = ["skip_init"]


@contextmanager
def _no_init():
    """Make every in-place initialiser of nerve.nn.init a no-op for the duration; layers
    allocate with np.empty, so their tensors are left uninitialised."""
    names = [
        n
        for n in vars(init)
        if n.endswith("_") and not n.startswith("_") and callable(getattr(init, n))
    ]
    saved = {n: getattr(init, n) for n in names}

    def skip(tensor=None, *args, **kwargs):
        return tensor

    try:
        for n in names:
            setattr(init, n, skip)
        yield
    finally:
        for n, fn in saved.items():
            setattr(init, n, fn)


def skip_init(module_cls: type, *args, **kwargs) -> Module:
    """``module_cls(*args, **kwargs)`` with its parameters and buffers left uninitialised.
    The class must take a ``device`` argument, as in PyTorch."""
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    with _no_init():
        return module_cls(*args, **kwargs)
