"""The autograd half of Tensor's methods: ``backward``, the hook registrations and
``retain_grad``, entered in the ops table (nerve/tensor/ops_table.py) that
nerve/tensor/autograd.py's one-line methods call. Tensor sits below the engine, so
the engine's entry points are handed down to it from here."""

from __future__ import annotations

from nerve.autograd import grad_mode, gradients, hooks, transfer, versions
from nerve.autograd.engine import run_backward
from nerve.backend import array_module, as_array
from nerve.tensor import Tensor, ops_table


def tensor_backward(
    t: Tensor, gradient=None, retain_graph=None, create_graph=False, inputs=None
) -> None:
    """``t.backward(gradient)``: accumulate d(t)/d(leaf) into every leaf's ``.grad``
    that requires grad (with ``inputs`` or ``create_graph``, nerve.autograd.backward)."""
    if inputs is not None or create_graph:
        return gradients.backward(t, gradient, retain_graph, create_graph, inputs=inputs)
    if not t.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    data = t._data
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(
                "grad can be implicitly created only for scalar outputs "
                f"(backward() on a tensor of shape {tuple(t.shape)} needs a gradient)"
            )
        grad = array_module(data).ones_like(data)
    else:
        grad = gradient._data if isinstance(gradient, Tensor) else as_array(gradient)
        if grad.shape != data.shape:
            raise RuntimeError(f"backward: gradient has shape {grad.shape}, expected {data.shape}")
        grad = grad.astype(data.dtype, copy=False)
    if versions.rebinds_live[0]:  # in-place ops rebound tensors: nerve/autograd/versions.py
        versions.mend_stale_edges(t)
    mode = grad_mode.state
    prev, mode.enabled = mode.enabled, False
    try:
        if hooks._leaves:  # some leaf has hooks: run them on summed grads
            hooks.backward_with_leaf_hooks(run_backward, t, grad, bool(retain_graph))
        else:
            run_backward(t, grad, bool(retain_graph))
    finally:
        mode.enabled = prev


def register_hook(t: Tensor, hook):
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t._ctx is not None:
        return hooks.register_node_hook(t, hook)
    return hooks.register_leaf_hook(t, hook)


def register_post_accumulate_grad_hook(t: Tensor, hook):
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t._ctx is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    return hooks.register_post_accumulate(t, hook)


def retain_grad(t: Tensor) -> None:
    if not t.requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if t._ctx is not None:
        hooks.retain_grad(t)


ops_table.register(
    tensor_backward,
    register_hook,
    register_post_accumulate_grad_hook,
    retain_grad,
    hooks.retains_grad,
    grad_mode.is_grad_enabled,
    transfer.ToDevice,
    share_version=versions.share,
)
