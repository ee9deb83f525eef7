"""Grad mode: whether ops record the graph. Mirrors torch.no_grad / enable_grad."""

from __future__ import annotations

import functools

# A one-element list so that hot paths read a module global without a function call.
_enabled = [True]


def is_grad_enabled() -> bool:
    return _enabled[0]


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """Context manager (and function) that sets grad mode on or off."""

    def __init__(self, mode: bool) -> None:
        self.prev = _enabled[0]
        self.mode = bool(mode)
        _enabled[0] = self.mode

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        _enabled[0] = self.prev


class _GradModeContext:
    mode = True

    def __enter__(self) -> None:
        self.prev = _enabled[0]
        _enabled[0] = self.mode

    def __exit__(self, *exc) -> None:
        _enabled[0] = self.prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):  # noqa: N801
    """Inside this context no op records the graph; results do not require grad."""

    mode = False


class enable_grad(_GradModeContext):  # noqa: N801
    """Turns graph recording back on inside a no_grad region."""

    mode = True


inference_mode = no_grad
