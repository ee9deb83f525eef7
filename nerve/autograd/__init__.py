"""Reverse-mode automatic differentiation: Function, the engine, grad mode, gradcheck,
anomaly mode (nerve/autograd/anomaly_mode.py)."""

from __future__ import annotations

from nerve.autograd import grad_mode as _grad_mode
from nerve.autograd.anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
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
_LAZY = {
    "Function": ("nerve.autograd.function", "Function"),
    "FunctionCtx": ("nerve.autograd.custom", "FunctionCtx"),
    "function": ("nerve.autograd.function", None),
    "functional": ("nerve.autograd.functional", None),
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        mod = importlib.import_module(module)
        return mod if attr is None else getattr(mod, attr)
    raise AttributeError(f"module 'nerve.autograd' has no attribute '{name}'")


def backward(
    tensors,
    grad_tensors=None,
    retain_graph=None,
    create_graph=False,
    grad_variables=None,
    inputs=None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad`` (one backward
    pass over all of them); with ``inputs``, only into those tensors."""
    from nerve.autograd import gradients

    return gradients.backward(
        tensors, grad_tensors, retain_graph, create_graph, grad_variables, inputs
    )


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """The gradients of ``outputs`` w.r.t. ``inputs``, without touching any ``.grad``."""
    from nerve.autograd import gradients

    return gradients.grad(
        outputs,
        inputs,
        grad_outputs,
        retain_graph,
        create_graph,
        only_inputs,
        allow_unused,
        is_grads_batched,
        materialize_grads,
    )


__all__ = [
    "Function",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "gradcheck",
    "GradcheckError",
    "gradgradcheck",
    "inference_mode",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
]
