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

The face is built from the families' ``__all__`` (``_FAMILIES`` below, bound by
``nerve.ops.export``): every family of the layers' ops whole, the in-place activations,
fold and pad, and cosine_similarity, normalize, pairwise_distance, pdist and one_hot from
the topics that are mostly torch's top level; nerve.nn.functional takes this ``__all__``.

The first five modules register Tensor's methods (``x.eq``, ``x.nonzero``, ``x.addmm``
...) in nerve/tensor/ops_table.py as they load; ``nerve`` imports this package right after
``nerve.ops`` so that the table is full before anything else runs.
"""

from __future__ import annotations

from nerve.functional import gumbel as _gumbel
from nerve.functional import multi_head_attention as _multi_head_attention
from nerve.functional import shuffle as _shuffle
from nerve.functional import triplet_distance as _triplet_distance
from nerve.ops import Take as _Take
from nerve.ops import export as _export
from nerve.ops.inplace import updates as _updates
from nerve.ops.linalg import distance as _distance
from nerve.ops.math import elementary as _elementary
from nerve.ops.nn import activation as _activation
from nerve.ops.nn import activation_piecewise as _activation_piecewise
from nerve.ops.nn import attention as _attention
from nerve.ops.nn import bilinear as _bilinear
from nerve.ops.nn import conv as _conv
from nerve.ops.nn import conv_transpose as _conv_transpose
from nerve.ops.nn import ctc as _ctc
from nerve.ops.nn import dropout as _dropout
from nerve.ops.nn import embedding as _embedding
from nerve.ops.nn import fractional_pool as _fractional_pool
from nerve.ops.nn import grid_sample as _grid_sample
from nerve.ops.nn import group_norm as _group_norm
from nerve.ops.nn import linear as _linear
from nerve.ops.nn import loss as _loss
from nerve.ops.nn import loss_classification as _loss_classification
from nerve.ops.nn import loss_margin as _loss_margin
from nerve.ops.nn import lp_pool as _lp_pool
from nerve.ops.nn import normalization as _normalization
from nerve.ops.nn import pool as _pool
from nerve.ops.nn import pool_adaptive as _pool_adaptive
from nerve.ops.nn import pool_indices as _pool_indices
from nerve.ops.nn import pool_stochastic as _pool_stochastic
from nerve.ops.nn import rms_norm as _rms_norm
from nerve.ops.nn import roi as _roi
from nerve.ops.nn import unpool as _unpool
from nerve.ops.nn import upsample as _upsample
from nerve.ops.shape import fold as _fold
from nerve.ops.shape import padding as _padding
from nerve.ops.shape import scatter as _scatter

_FAMILIES = (
    # every family of the layers' ops, whole
    *map(
        _Take,
        (
            _activation,
            _activation_piecewise,
            _attention,
            _bilinear,
            _conv,
            _conv_transpose,
            _ctc,
            _dropout,
            _embedding,
            _fractional_pool,
            _grid_sample,
            _group_norm,
            _linear,
            _loss,
            _loss_classification,
            _loss_margin,
            _lp_pool,
            _normalization,
            _pool,
            _pool_adaptive,
            _pool_indices,
            _pool_stochastic,
            _rms_norm,
            _roi,
            _unpool,
            _upsample,
        ),
    ),
    # the composites of this package, the in-place activations, fold/unfold and pad
    *map(_Take, (_gumbel, _multi_head_attention, _shuffle, _triplet_distance)),
    *map(_Take, (_updates, _fold, _padding)),
    # torch.nn.functional's share of topics that are mostly torch's top level
    _Take(_elementary, only=("cosine_similarity", "normalize", "pairwise_distance")),
    _Take(_distance, only=("pdist",)),
    _Take(_scatter, only=("one_hot",)),
)


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
    return _upsample.interpolate(input, size, scale_factor, mode, align_corners)


selu_ = _updates.inplace_form("selu", "nerve.ops.nn.activation.selu")

# the names defined here, then every family's: nerve.nn.functional is this list
_OWN = ("selu_", "upsample")
__all__ = sorted([*_OWN, *_export(globals(), _FAMILIES)])
