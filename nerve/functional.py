"""nerve.nn.functional: stateless wrappers over the ops, and composites that need no
backward of their own (they are built from ops that have one)."""

from __future__ import annotations

# ----- activations ---------------------------------------------------------------------
from nerve.ops.activation import (  # noqa: F401
    crelu,
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    rrelu,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)

# ----- linear, dropout, normalization (nn layers' ops) ---------------------------------
from nerve.ops.dropout import dropout, dropout2d  # noqa: F401
from nerve.ops.linear import linear  # noqa: F401
from nerve.ops.loss import (  # noqa: F401  (losses)
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
)
from nerve.ops.normalization import batch_norm, layer_norm  # noqa: F401

# ----- shape and indexing --------------------------------------------------------------
from nerve.ops.shape import pad  # noqa: F401
