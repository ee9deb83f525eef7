"""Reverse-mode automatic differentiation: Function, the engine, grad mode, gradcheck."""

from __future__ import annotations

import functools

from nerve.autograd import grad_mode as _grad_mode
from nerve.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from nerve.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck

# function.py, custom.py, gradients.py and functional.py import Tensor, which imports this
# package: they load on first use.
_LAZY = {"Function": ("nerve.autograd.function", "Function"),
         "FunctionCtx": ("nerve.autograd.custom", "FunctionCtx"),
         "function": ("nerve.autograd.function", None),
         "functional": ("nerve.autograd.functional", None)}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        mod = importlib.import_module(module)
        return mod if attr is None else getattr(mod, attr)
    raise AttributeError(f"module 'nerve.autograd' has no attribute '{name}'")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad`` (one backward
    pass over all of them); with ``inputs``, only into those tensors."""
    from nerve.autograd import gradients

    return gradients.backward(tensors, grad_tensors, retain_graph, create_graph,
                              grad_variables, inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` w.r.t. ``inputs``, without touching any ``.grad``."""
    from nerve.autograd import gradients

    return gradients.grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                          only_inputs, allow_unused, is_grads_batched, materialize_grads)


_anomaly: list = []  # the nerve.diagnostics.detect_anomaly contexts set_detect_anomaly opened


class detect_anomaly:  # noqa: N801
    """PyTorch's anomaly mode on nerve's (nerve/diagnostics/anomaly.py): the first op
    whose forward output or backward gradient holds NaN/Inf raises a RuntimeError naming
    it. ``check_nan=False`` turns the check off. Context manager and decorator."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._ctx = None

    def __enter__(self) -> None:
        if self.check_nan:
            self._ctx = _backward_anomaly()
            self._ctx.__enter__()

    def __exit__(self, *exc) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(*exc)
            self._ctx = None

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


def _backward_anomaly():
    """nerve's anomaly mode checking gradients only: PyTorch's raises in backward, and a
    NaN in a forward output (a masked value, say) is no error there."""
    from nerve.diagnostics.anomaly import detect_anomaly as _detect

    class _Backward(_detect):
        def _check_forward(self, fn, inputs, out, layer) -> None:
            self._wrap_backward(fn, layer)

    return _Backward()


class set_detect_anomaly:  # noqa: N801
    """Turn anomaly mode on or off (as a call, or for the body of a ``with``)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        _set_anomaly(bool(mode) and check_nan)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        _set_anomaly(self.prev)


def _set_anomaly(on: bool) -> None:
    if on and not _anomaly:
        ctx = detect_anomaly()
        ctx.__enter__()
        _anomaly.append(ctx)
    elif not on and _anomaly:
        _anomaly.pop().__exit__(None, None, None)


def is_anomaly_enabled() -> bool:
    from nerve.autograd import function

    return function._observer is not None


__all__ = ["Function", "backward", "detect_anomaly", "enable_grad", "grad", "gradcheck",
           "GradcheckError", "gradgradcheck", "inference_mode", "is_anomaly_enabled",
           "is_grad_enabled", "is_inference_mode_enabled", "no_grad", "set_detect_anomaly",
           "set_grad_enabled"]
