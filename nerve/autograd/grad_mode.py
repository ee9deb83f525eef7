"""Grad mode: whether ops record the graph. Mirrors torch.no_grad / enable_grad.

Grad mode and inference mode are per thread, as in PyTorch: ``no_grad`` in one thread
(a server predicting) leaves another thread's training step recording its graph, and a
new thread starts with grad enabled whatever the thread that started it had set.
(Anomaly mode and the default dtype stay process-wide, as PyTorch's do.)
"""

from __future__ import annotations

import functools
import threading


class _ThreadState(threading.local):
    """The switches of one thread; ``__init__`` runs once in each thread that reads them."""

    def __init__(self) -> None:
        self.enabled = True
        self.inference = False


# Hot paths read ``state.enabled``: one attribute lookup, no function call.
state = _ThreadState()


def is_grad_enabled() -> bool:
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """Context manager (and function) that sets grad mode on or off."""

    def __init__(self, mode: bool) -> None:
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        state.enabled = self.prev


class _GradModeContext:
    mode = True

    def __enter__(self) -> None:
        self.prev = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc) -> None:
        state.enabled = self.prev

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


class inference_mode(_GradModeContext):  # noqa: N801 - PyTorch's name
    """As ``no_grad`` (nerve keeps no version counters to skip); ``mode=False`` leaves
    grad mode as it is. A context manager and a decorator."""

    def __new__(cls, mode=True):
        if callable(mode):  # used bare, as @inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.inference = bool(mode)

    def __enter__(self) -> None:
        self.prev, self.prev_inference = state.enabled, state.inference
        if self.inference:
            state.enabled, state.inference = False, True

    def __exit__(self, *exc) -> None:
        state.enabled, state.inference = self.prev, self.prev_inference

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(self.inference):
                return fn(*args, **kwargs)

        return wrapper

    def clone(self) -> inference_mode:
        return inference_mode(self.inference)
