"""Watching ops as they run: which layer is running each op.

``OpWatch`` installs the observer of ``Function.apply`` (nerve/autograd/function.py)
and forward (pre-)hooks on every module of a model, so each op the forward creates is
attributed to the innermost module running at that moment ("fc2 (Linear)"). Anomaly
mode and the backprop trace are built on it. Only one watch is active at a time.
"""

from __future__ import annotations

from nerve.autograd import function as _function


class OpWatch:
    """Context manager: calls ``on_op(fn, inputs, out, layer)`` for every op applied.

    ``layer`` is the label of the innermost running module of ``model`` (None outside
    any, or without a model).
    """

    def __init__(self, on_op, model=None) -> None:
        self.on_op, self.model = on_op, model
        self._stack: list[str] = []
        self._handles: list = []
        self._previous = None

    def __enter__(self) -> OpWatch:
        if _function._observer is not None:
            raise RuntimeError("nerve.diagnostics: another anomaly mode or backprop trace is "
                               "already active; nest them one at a time")
        if self.model is not None:
            self._hook_modules(self.model)
        _function._observer = self._observe
        return self

    def __exit__(self, *exc) -> None:
        _function._observer = None
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self._stack.clear()

    @property
    def layer(self) -> str | None:
        return self._stack[-1] if self._stack else None

    def _observe(self, fn, inputs, out) -> None:
        self.on_op(fn, inputs, out, self.layer)

    def _hook_modules(self, model) -> None:
        for name, m in model.named_modules():
            label = f"{name} ({type(m).__name__})" if name else type(m).__name__

            def enter(module, args, label=label):
                self._stack.append(label)

            def leave(module, args, output):
                if self._stack:
                    self._stack.pop()

            self._handles.append(m.register_forward_pre_hook(enter))
            self._handles.append(m.register_forward_hook(leave))


def op_name(fn) -> str:
    """The op's class name, as PyTorch names graph nodes ("SigmoidBackward")."""
    return type(fn).__name__
