"""Module hooks: running forward pre-hooks and hooks around ``forward``, and full backward
hooks, which see the gradients with respect to a module's inputs and outputs.

A backward hook needs the moment the gradients of the outputs are known and the moment
those of the inputs are: two identity nodes mark them, one on the inputs before
``forward`` and one on the outputs after it, sharing one record of the call.
"""

from __future__ import annotations

import itertools
import warnings

from nerve.autograd import grad_mode
from nerve.autograd.function import Function
from nerve.tensor import Tensor


class RemovableHandle:
    """What ``register_*_hook`` returns: ``remove()`` takes the hook off again (also on
    leaving a ``with`` block), as torch.utils.hooks.RemovableHandle does."""

    def __init__(self, hooks: dict, key: int, *extra: dict) -> None:
        self.hooks, self.key, self.extra = hooks, key, extra

    def remove(self) -> None:
        for d in (self.hooks, *self.extra):
            d.pop(self.key, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


_hook_ids = itertools.count()


def next_hook_id() -> int:
    """A key unique per registration, so that one hook can be registered twice."""
    return next(_hook_ids)


def call_with_hooks(module, args: tuple, kwargs: dict):
    """``module.forward(*args, **kwargs)`` with its hooks, in PyTorch's order."""
    flags = module._hook_flags
    for key, hook in list(module._forward_pre_hooks.items()):
        if flags.get(key, (False, False))[0]:
            out = hook(module, args, kwargs)
            if out is not None:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError(
                        "forward pre-hook must return None or a tuple of "
                        f"(new_args, new_kwargs), but got {out}."
                    )
                args, kwargs = out
        else:
            out = hook(module, args)
            if out is not None:
                args = out if isinstance(out, tuple) else (out,)
    call = None
    if (module._backward_hooks or module._backward_pre_hooks) and grad_mode.state.enabled:
        call = _Call(module)
        args = call.wrap_inputs(args)
    try:
        result = module.forward(*args, **kwargs)
    except Exception:
        for key, hook in list(module._forward_hooks.items()):
            if flags.get(key, (False, False))[1]:
                hook(module, args, kwargs, None) if flags[key][0] else hook(module, args, None)
        raise
    for key, hook in list(module._forward_hooks.items()):
        with_kwargs = flags.get(key, (False, False))[0]
        out = hook(module, args, kwargs, result) if with_kwargs else hook(module, args, result)
        if out is not None:
            result = out
    return call.wrap_outputs(result) if call is not None else result


class _Call:
    """One forward call of a module with backward hooks: where its tensors are, and the
    output gradients once backward has reached them."""

    def __init__(self, module) -> None:
        self.module, self.grad_outputs, self.input_node = module, None, False

    def wrap_inputs(self, args: tuple) -> tuple:
        self.n_inputs = sum(isinstance(a, Tensor) for a in args)
        self.slots = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        grad = [i for i in self.slots if args[i].requires_grad]
        # where each gradient-taking argument sits among the tensor arguments
        self.grad_slots = [self.slots.index(i) for i in grad]
        if not grad:
            return args
        self.input_node = True
        outs = _HookIn.apply(*(args[i] for i in grad), call=self)
        args = list(args)
        for i, t in zip(grad, outs):
            args[i] = t
        return tuple(args)

    def wrap_outputs(self, result):
        single = isinstance(result, Tensor)
        items = (result,) if single else result
        if not isinstance(items, tuple | list):
            return result
        grad = [i for i, t in enumerate(items) if isinstance(t, Tensor) and t.requires_grad]
        if not grad:
            return result
        self.n_outputs = len(items)
        self.out_slots = grad
        outs = _HookOut.apply(*(items[i] for i in grad), call=self)
        items = list(items)
        for i, t in zip(grad, outs):
            items[i] = t
        return items[0] if single else type(result)(items)

    def on_grad_outputs(self, dys: tuple) -> tuple:
        go = [None] * self.n_outputs
        for i, dy in zip(self.out_slots, dys):
            go[i] = None if dy is None else Tensor._wrap(dy)
        go = tuple(go)
        for hook in list(self.module._backward_pre_hooks.values()):
            out = hook(self.module, go)
            if out is not None:
                go = _checked(out, len(go), "backward pre hook", "grad_output")
        self.grad_outputs = go
        if not self.input_node:
            warnings.warn(
                "Full backward hook is firing when gradients are computed with "
                "respect to module outputs since no inputs require gradients.",
                stacklevel=2,
            )
            self.run_hooks((None,) * self.n_inputs)
        return tuple(None if go[i] is None else go[i]._data for i in self.out_slots)

    def run_hooks(self, gi: tuple) -> tuple:
        for hook in list(self.module._backward_hooks.values()):
            out = hook(self.module, gi, self.grad_outputs)
            if out is not None:
                gi = _checked(out, len(gi), "backward hook", "grad_input")
        return gi

    def on_grad_inputs(self, dxs: tuple) -> tuple:
        gi = [None] * self.n_inputs
        for j, dx in zip(self.grad_slots, dxs):
            gi[j] = None if dx is None else Tensor._wrap(dx)
        gi = self.run_hooks(tuple(gi))
        return tuple(None if gi[j] is None else gi[j]._data for j in self.grad_slots)


def _checked(out, n: int, kind: str, what: str) -> tuple:
    out = tuple(out) if isinstance(out, tuple | list) else (out,)
    if len(out) != n:
        raise RuntimeError(
            f"{kind} returned an invalid number of {what}: got {len(out)}, but expected {n}"
        )
    return out


class _HookIn(Function):
    """Identity on a module's inputs: y = x, ∂L/∂x = ∂L/∂y as rewritten by the
    module's full backward hooks (called with the input and output gradients)."""

    def forward(self, *xs, call):
        self.call = call
        return xs

    def backward(self, *dys):
        return self.call.on_grad_inputs(dys)


class _HookOut(Function):
    """Identity on a module's outputs: y = x, ∂L/∂x = ∂L/∂y as rewritten by the
    module's backward pre-hooks; records the output gradients for the full hooks."""

    def forward(self, *xs, call):
        self.call = call
        return xs

    def backward(self, *dys):
        return self.call.on_grad_outputs(dys)
