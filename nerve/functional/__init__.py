"""nerve.nn.functional: stateless wrappers over the ops, and composites that need no
backward of their own (they are built from ops that have one).

This package is the functional tier, above the ops (ops -> functional, never back). Its
modules hold the composites; this ``__init__`` is the face ``nerve.nn.functional``:

- arithmetic.py: PyTorch's arithmetic names (divide with rounding_mode, subtract ...);
- compare.py: all/any, arg-max/min, equal/allclose, floor/ceil/round, isinf ...;
- logical.py: named comparisons, logical and bitwise ops, gcd, floor_divide, isin ...;
- counting.py: nonzero, unique, bincount, histc, searchsorted, bucketize;
- products.py: addmm and the other BLAS-style products, tensordot, kron, multi_dot;
- gumbel.py, multi_head_attention.py, triplet_distance.py, shuffle.py (pixel and
  channel shuffles): the nn composites.

The first five register Tensor's methods (``x.eq``, ``x.nonzero``, ``x.addmm`` ...) in
nerve/tensor/ops_table.py as they load; ``nerve`` imports this package right after
``nerve.ops`` so that the table is full before anything else runs.
"""

from __future__ import annotations

from nerve.functional.gumbel import gumbel_softmax  # noqa: F401
from nerve.functional.multi_head_attention import multi_head_attention_forward  # noqa: F401
from nerve.functional.shuffle import (  # noqa: F401
    channel_shuffle,
    native_channel_shuffle,
    pixel_shuffle,
    pixel_unshuffle,
)
from nerve.functional.triplet_distance import triplet_margin_with_distance_loss  # noqa: F401
from nerve.ops.inplace.updates import elu_, hardtanh_, leaky_relu_, relu_, rrelu_  # noqa: F401
from nerve.ops.inplace.updates import inplace_form as _inplace_math
from nerve.ops.linalg.distance import pdist  # noqa: F401
from nerve.ops.math.elementary import cosine_similarity, normalize, pairwise_distance  # noqa: F401

# ----- activations ---------------------------------------------------------------------
from nerve.ops.nn.activation import (  # noqa: F401
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
from nerve.ops.nn.activation_piecewise import (  # noqa: F401
    celu,
    celu_,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    softmin,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
    threshold_,
)

# ----- linear, dropout, normalization (nn layers' ops) ---------------------------------
from nerve.ops.nn.attention import scaled_dot_product_attention  # noqa: F401
from nerve.ops.nn.bilinear import bilinear  # noqa: F401

# ----- convolution, pooling, upsampling, ROI pooling -----------------------------------
from nerve.ops.nn.conv import conv1d, conv2d, conv3d  # noqa: F401
from nerve.ops.nn.conv_transpose import (  # noqa: F401
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from nerve.ops.nn.ctc import ctc_loss  # noqa: F401
from nerve.ops.nn.dropout import (  # noqa: F401
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from nerve.ops.nn.embedding import embedding, embedding_bag  # noqa: F401
from nerve.ops.nn.fractional_pool import (  # noqa: F401
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
)
from nerve.ops.nn.grid_sample import affine_grid, grid_sample  # noqa: F401
from nerve.ops.nn.group_norm import (  # noqa: F401
    group_norm,
    instance_norm,
    local_response_norm,
)
from nerve.ops.nn.linear import linear  # noqa: F401
from nerve.ops.nn.loss import (  # noqa: F401  (losses)
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    smooth_l1_loss,
    soft_margin_loss,
)
from nerve.ops.nn.loss_classification import cross_entropy, nll_loss  # noqa: F401
from nerve.ops.nn.loss_margin import (  # noqa: F401  (margin, embedding and likelihood losses)
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    triplet_margin_loss,
)
from nerve.ops.nn.lp_pool import lp_pool1d, lp_pool2d  # noqa: F401
from nerve.ops.nn.normalization import batch_norm, layer_norm  # noqa: F401
from nerve.ops.nn.pool import (  # noqa: F401
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
)
from nerve.ops.nn.pool_indices import (  # noqa: F401
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d_with_indices,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
)
from nerve.ops.nn.pool_stochastic import stochastic_pool2d  # noqa: F401
from nerve.ops.nn.rms_norm import rms_norm  # noqa: F401
from nerve.ops.nn.roi import roi_pool  # noqa: F401
from nerve.ops.nn.unpool import max_unpool1d, max_unpool2d  # noqa: F401
from nerve.ops.nn.upsample import (  # noqa: F401
    interpolate,
    upsample_bilinear,
    upsample_nearest,
)
from nerve.ops.shape.fold import fold, unfold  # noqa: F401

# ----- shape and indexing --------------------------------------------------------------
from nerve.ops.shape.rearrange import pad  # noqa: F401
from nerve.ops.shape.scatter import one_hot  # noqa: F401


# ----- unpooling, Lp and fractional pooling, spatial transformers, CTC, shuffles --------
def upsample(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
):
    """Deprecated alias of interpolate (as in PyTorch, with its warning)."""
    import warnings

    warnings.warn(
        "nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.", stacklevel=2
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


selu_ = _inplace_math("selu", "nerve.ops.nn.activation.selu")
