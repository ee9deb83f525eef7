"""nerve.nn.functional: stateless wrappers over the ops, and composites that need no
backward of their own (they are built from ops that have one)."""

from __future__ import annotations

# ----- activations ---------------------------------------------------------------------
from nerve.ops.activation import log_softmax, relu, sigmoid, softmax, tanh  # noqa: F401

# ----- shape and indexing --------------------------------------------------------------
from nerve.ops.shape import pad  # noqa: F401
