"""Reverse-mode automatic differentiation: Function, the engine, grad mode, gradcheck."""

from nerve.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from nerve.autograd.gradcheck import GradcheckError, gradcheck


def __getattr__(name):
    # function.py imports Tensor, which imports this package: load it lazily.
    if name == "Function":
        from nerve.autograd.function import Function

        return Function
    raise AttributeError(f"module 'nerve.autograd' has no attribute '{name}'")


def grad(outputs, inputs, grad_outputs=None, retain_graph=None):
    """The gradients of ``outputs`` w.r.t. ``inputs`` (leaves), without touching ``.grad``."""
    inputs = tuple(inputs) if isinstance(inputs, list | tuple) else (inputs,)
    saved = [x.grad for x in inputs]
    for x in inputs:
        x.grad = None
    try:
        outputs.backward(grad_outputs, retain_graph=retain_graph)
        return tuple(x.grad for x in inputs)
    finally:
        for x, g in zip(inputs, saved):
            x.grad = g


__all__ = ["Function", "enable_grad", "grad", "gradcheck", "is_grad_enabled", "no_grad",
           "set_grad_enabled"]
