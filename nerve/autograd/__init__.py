"""Reverse-mode automatic differentiation: Function, the engine, grad mode, gradcheck."""

from nerve.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled


def __getattr__(name):
    # Function and gradcheck import Tensor, which imports this package: load them lazily.
    if name == "Function":
        from nerve.autograd.function import Function

        return Function
    if name in ("gradcheck", "GradcheckError"):
        from nerve.autograd import gradcheck as module

        return getattr(module, name)
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
