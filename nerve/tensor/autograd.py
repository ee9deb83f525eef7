"""Tensor's autograd methods: ``requires_grad_``, ``detach``, ``backward`` and the hooks.

``backward`` and the hook registrations are one-liners calling the autograd tier
through the ops table (nerve/tensor/ops_table.py), which nerve/autograd/tensor_backward.py
fills: the engine sits above Tensor and knows it, not the other way round.
"""

from __future__ import annotations

import builtins

from nerve.dtypes import is_floating
from nerve.tensor.ops_table import ops


class AutogradMethods:
    """Gradient flags, detaching, backward and hooks (a mixin of Tensor)."""

    __slots__ = ()

    def requires_grad_(self, requires_grad=True):
        """Set whether autograd records operations on this leaf; returns it."""
        if requires_grad and self._data.dtype.kind != "c" and not is_floating(self._data.dtype):
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients, "
                f"got dtype {self._data.dtype}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. Use detach()."
            )
        self.requires_grad = builtins.bool(requires_grad)
        return self

    def detach(self):
        """A new leaf sharing this tensor's memory (and version counter), outside the graph."""
        t = self._wrap(self._data)
        ops.share_version(self, t, False)
        return t

    def detach_(self):
        """Make this tensor a leaf outside the graph (in place); returns it."""
        self._ctx = None
        self.requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` that requires grad."""
        return ops.tensor_backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed (once, on the sum
        over all its uses); it may return a replacement gradient."""
        return ops.register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after backward has accumulated this leaf's ``.grad``."""
        return ops.register_post_accumulate_grad_hook(self, hook)

    def retain_grad(self):
        """Keep ``.grad`` of this non-leaf tensor in backward (leaves always keep it)."""
        return ops.retain_grad(self)

    @property
    def retains_grad(self):
        """Whether backward keeps this tensor's ``.grad`` (a non-leaf after retain_grad)."""
        return ops.retains_grad(self)
