"""3-D pooling: max, average and adaptive pooling over (N, C, D, H, W) through the N-d
MaxPool, AvgPool, AdaptiveAvgPool and AdaptiveMaxPool ops."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
from nerve.ops.nn import pool as P

rng = np.random.default_rng(0)
RELU = np.maximum(rng.standard_normal((2, 2, 4, 4, 6)), 0)  # many ties at 0


def _pair(name, nfn, tfn, inputs, **kw):
    return Case(name, lambda x: nfn(x), lambda x: tfn(x), inputs, **kw)


def _both(name, fname, shape, *args, **kw):
    """The same call of F.<fname> in nerve and torch."""
    return _pair(
        name,
        lambda x: getattr(P, fname)(x, *args, **kw),
        lambda x: getattr(TF, fname)(x, *args, **kw),
        [shape],
    )


CASES = [
    _both("MaxPool/3d_2x2x2", "max_pool3d", (2, 3, 4, 6, 4), 2),
    _both("MaxPool/3d_overlap_pad", "max_pool3d", (2, 2, 5, 6, 5), 3, 2, 1),
    _both(
        "MaxPool/3d_rect_dilation_ceil",
        "max_pool3d",
        (1, 2, 7, 6, 8),
        (3, 2, 3),
        (2, 1, 2),
        1,
        (1, 2, 1),
        ceil_mode=True,
    ),
    _both("MaxPool/3d_unbatched", "max_pool3d", (3, 4, 4, 5), 2),
    _pair(
        "MaxPool/3d_ties_after_relu",
        lambda x: P.max_pool3d(x, 2, 1),
        lambda x: TF.max_pool3d(x, 2, 1),
        [RELU],
        gradcheck=False,
    ),
    _both("AvgPool/3d_2x2x2", "avg_pool3d", (2, 3, 4, 6, 4), 2),
    _both("AvgPool/3d_overlap_pad", "avg_pool3d", (2, 2, 5, 6, 5), 3, 2, 1),
    _both(
        "AvgPool/3d_exclude_pad_ceil",
        "avg_pool3d",
        (1, 2, 7, 6, 8),
        (3, 2, 3),
        (2, 1, 2),
        1,
        True,
        False,
    ),
    _both(
        "AvgPool/3d_divisor_override", "avg_pool3d", (2, 2, 5, 4, 5), 3, 2, 1, divisor_override=7
    ),
    _both("AvgPool/3d_unbatched_ceil", "avg_pool3d", (3, 5, 5, 5), 2, ceil_mode=True),
    _both("AdaptiveAvgPool/3d_uneven", "adaptive_avg_pool3d", (2, 3, 5, 7, 6), (2, 3, 4)),
    _both("AdaptiveAvgPool/3d_upsampling_none", "adaptive_avg_pool3d", (3, 3, 4, 5), (None, 5, 2)),
    _both("AdaptiveAvgPool/3d_global", "adaptive_avg_pool3d", (2, 3, 3, 4, 5), 1),
    _both("AdaptiveMaxPool/3d_uneven", "adaptive_max_pool3d", (2, 3, 5, 7, 6), (2, 3, 4)),
    _both("AdaptiveMaxPool/3d_overlap_unbatched", "adaptive_max_pool3d", (3, 5, 7, 6), (4, 3, 5)),
    _pair(
        "AdaptiveMaxPool/3d_ties",
        lambda x: P.adaptive_max_pool3d(x, (3, 2, 4)),
        lambda x: TF.adaptive_max_pool3d(x, (3, 2, 4)),
        [RELU],
        gradcheck=False,
    ),
]


table_tests(CASES)


@pytest.mark.parametrize(
    "name, args, shape",
    [
        ("max_pool3d", (3, 2, 1), (2, 3, 5, 7, 6)),
        ("max_pool3d", ((3, 2, 3), (2, 1, 2), 1, (1, 2, 1), True), (2, 3, 6, 7, 8)),
        ("max_pool3d", (2,), (3, 4, 5, 6)),
        ("adaptive_max_pool3d", ((2, 3, 4),), (2, 3, 5, 7, 6)),
        ("adaptive_max_pool3d", ((4, 3, 5),), (3, 5, 7, 6)),
    ],
)
def test_return_indices_match_torch(name, args, shape):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    y, idx = getattr(P, name)(nerve.tensor(x), *args, return_indices=True)
    ty, tidx = getattr(TF, name)(torch.from_numpy(x), *args, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert idx.dtype == nerve.int64 and not idx.requires_grad


def test_float32_in_float32_out():
    x = nerve.randn(2, 3, 4, 4, 4, requires_grad=True)
    for y in (
        P.max_pool3d(x, 2),
        P.avg_pool3d(x, 2),
        P.adaptive_avg_pool3d(x, 3),
        P.adaptive_max_pool3d(x, 3),
    ):
        assert y.dtype == nerve.float32
        y.sum().backward()
        assert x.grad.dtype == nerve.float32


@pytest.mark.parametrize(
    "name, args",
    [
        ("max_pool3d", (2,)),
        ("avg_pool3d", (2,)),
        ("adaptive_avg_pool3d", (2,)),
        ("adaptive_max_pool3d", (2,)),
    ],
)
def test_wrong_rank_is_runtime_error(name, args):
    with pytest.raises(RuntimeError, match=f"{name}: expected 4D or 5D input"):
        getattr(P, name)(nerve.randn(3, 4, 4), *args)
    with pytest.raises(RuntimeError):  # torch raises the same type
        getattr(TF, name)(torch.randn(3, 4, 4), *args)


def test_bad_arguments():
    with pytest.raises(RuntimeError, match="max_pool3d: pad should be at most half"):
        P.max_pool3d(nerve.randn(1, 1, 4, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match="avg_pool3d: divisor must be not zero"):
        P.avg_pool3d(nerve.randn(1, 1, 4, 4, 4), 2, divisor_override=0)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        P.max_pool3d(nerve.randn(1, 1, 1, 4, 4), 2)
    with pytest.raises(ValueError, match="tuple of 3"):
        P.adaptive_avg_pool3d(nerve.randn(1, 1, 4, 4, 4), (2, 2))
