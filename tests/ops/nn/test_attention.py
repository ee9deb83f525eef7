"""scaled_dot_product_attention: float64 finite differences and PyTorch on the same inputs,
for every kind of mask, causal, GQA, broadcast batch dims, dropout, and PyTorch's errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, Const, on_device_of, table_tests

import nerve
import nerve.nn.functional as F
from nerve.ops.nn.attention import ScaledDotProductAttention

RNG = np.random.default_rng(7)
BOOL = Const(RNG.random((3, 5)) > 0.4)
BOOL_4D = Const(RNG.random((2, 1, 3, 5)) > 0.3)
HOLE = np.ones((3, 5), bool)
HOLE[1] = False  # a query that sees no key: output 0, no gradient, as torch
NEG_INF = np.zeros((3, 5), np.float32)
NEG_INF[2] = -np.inf
DROP = (RNG.random((2, 3, 5)) >= 0.25) / 0.75


def _sdpa(**kw):
    return (
        lambda q, k, v, *m: F.scaled_dot_product_attention(q, k, v, *m, **kw),
        lambda q, k, v, *m: TF.scaled_dot_product_attention(q, k, v, *m, **kw),
    )


def _fixed_dropout(q, k, v):
    """The node with a given keep-mask (the functional draws one per call)."""
    drop = on_device_of(DROP.astype(q.dtype), q)
    return ScaledDotProductAttention.apply(q, k, v, None, scale=0.5, drop=drop)


def _torch_dropout(q, k, v):
    p = torch.softmax(q @ k.transpose(-1, -2) * 0.5, -1)
    return (p * torch.from_numpy(DROP).to(q.dtype)) @ v


CASES = [
    Case("ScaledDotProductAttention/2d", *_sdpa(), [(3, 4), (5, 4), (5, 6)]),
    Case("ScaledDotProductAttention/4d", *_sdpa(), [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5)]),
    Case(
        "ScaledDotProductAttention/5d",
        *_sdpa(),
        [(2, 1, 2, 3, 4), (2, 1, 2, 5, 4), (2, 1, 2, 5, 3)],
    ),
    Case("ScaledDotProductAttention/broadcast_batch", *_sdpa(), [(2, 3, 3, 4), (3, 5, 4), (5, 2)]),
    Case("ScaledDotProductAttention/scale", *_sdpa(scale=0.3), [(2, 3, 4), (2, 5, 4), (2, 5, 4)]),
    Case(
        "ScaledDotProductAttention/causal",
        *_sdpa(is_causal=True),
        [(2, 4, 3), (2, 4, 3), (2, 4, 5)],
    ),
    Case(
        "ScaledDotProductAttention/causal_wide",
        *_sdpa(is_causal=True),
        [(2, 3, 4), (2, 6, 4), (2, 6, 4)],
    ),
    Case("ScaledDotProductAttention/causal_tall", *_sdpa(is_causal=True), [(6, 4), (3, 4), (3, 2)]),
    Case("ScaledDotProductAttention/bool_mask", *_sdpa(), [(2, 3, 4), (2, 5, 4), (2, 5, 4), BOOL]),
    Case(
        "ScaledDotProductAttention/bool_mask_4d",
        *_sdpa(),
        [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), BOOL_4D],
    ),
    Case(
        "ScaledDotProductAttention/fully_masked_row",
        *_sdpa(),
        [(2, 3, 4), (2, 5, 4), (2, 5, 4), Const(HOLE)],
    ),
    Case(
        "ScaledDotProductAttention/float_mask", *_sdpa(), [(2, 3, 4), (2, 5, 4), (2, 5, 4), (3, 5)]
    ),
    Case(
        "ScaledDotProductAttention/float_mask_heads",
        *_sdpa(),
        [(2, 3, 3, 4), (2, 3, 5, 4), (2, 3, 5, 2), (3, 1, 5)],
    ),
    Case(
        "ScaledDotProductAttention/neg_inf_row",
        *_sdpa(),
        [(2, 3, 4), (2, 5, 4), (2, 5, 4), Const(NEG_INF)],
    ),
    Case(
        "ScaledDotProductAttention/gqa",
        *_sdpa(enable_gqa=True),
        [(2, 6, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)],
    ),
    Case(
        "ScaledDotProductAttention/gqa_mask",
        *_sdpa(enable_gqa=True),
        [(1, 4, 3, 4), (1, 2, 5, 4), (1, 2, 5, 3), (4, 3, 5)],
    ),
    Case(
        "ScaledDotProductAttention/gqa_causal",
        *_sdpa(enable_gqa=True, is_causal=True),
        [(4, 3, 4), (1, 3, 4), (1, 3, 4)],
    ),
    Case(
        "ScaledDotProductAttention/dropout",
        _fixed_dropout,
        _torch_dropout,
        [(2, 3, 4), (2, 5, 4), (2, 5, 3)],
    ),
]


table_tests(CASES, float64=True)


def test_large_scores_stay_finite():
    q = nerve.tensor(np.full((2, 3, 4), 300.0, np.float32), requires_grad=True)
    k = nerve.tensor(np.linspace(-300, 300, 40, dtype=np.float32).reshape(2, 5, 4))
    out = F.scaled_dot_product_attention(q, k, k)
    out.sum().backward()
    assert np.isfinite(out.detach().numpy()).all() and np.isfinite(q.grad.numpy()).all()


def test_dropout_keeps_expectation_and_zeroes_some():
    nerve.manual_seed(0)
    q, k = nerve.zeros(1, 200, 4), nerve.zeros(1, 50, 4)
    v = nerve.ones(1, 50, 1)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy()
    assert abs(out.mean() - 1) < 0.05 and out.std() > 0
    same = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0).numpy()
    np.testing.assert_allclose(same, 1, rtol=1e-6)


def _x(*shape, dtype=np.float32):
    return np.random.default_rng(0).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize(
    "args,kw",
    [
        ((_x(4), _x(4), _x(4)), {}),
        ((_x(3, 4), _x(5, 4, dtype=np.float64), _x(5, 4)), {}),
        ((_x(3, 4), _x(5, 3), _x(5, 4)), {}),
        ((_x(3, 4), _x(5, 4), _x(6, 4)), {}),
        ((_x(3, 4), _x(5, 4), _x(5, 4), np.zeros((3, 5), np.int64)), {}),
        ((_x(3, 4), _x(5, 4), _x(5, 4), np.zeros((3, 5), np.float64)), {}),
        ((_x(3, 4), _x(5, 4), _x(5, 4), np.ones((2, 5), bool)), {}),
        ((_x(3, 4), _x(5, 4), _x(5, 4), np.ones((3, 5), bool)), {"is_causal": True}),
        ((_x(2, 3, 4), _x(3, 5, 4), _x(3, 5, 4)), {}),
        ((_x(1, 4, 3, 4), _x(1, 3, 5, 4), _x(1, 3, 5, 4)), {"enable_gqa": True}),
    ],
)
def test_errors_like_torch(args, kw):
    with pytest.raises(RuntimeError):
        TF.scaled_dot_product_attention(*map(torch.from_numpy, args), **kw)
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention"):
        F.scaled_dot_product_attention(*map(nerve.from_numpy, args), **kw)


def test_dtype_is_kept():
    for dt in (np.float32, np.float64):
        q = nerve.tensor(_x(2, 3, 4, dtype=dt))
        assert F.scaled_dot_product_attention(q, q, q).dtype == dt
    q = nerve.tensor(_x(3, 4, dtype=np.float64))
    mask = nerve.zeros(3, 3)  # a float32 mask is accepted for any query, as in torch
    assert F.scaled_dot_product_attention(q, q, q, mask).dtype == np.float64


@pytest.mark.parametrize("kind", ["plain", "causal", "bool_mask", "float_mask"])
def test_in_place_forward_agrees_with_the_reference(kind):
    from nerve.ops.nn.attention import _causal_keep, attention_reference

    g = np.random.default_rng(5)
    q, k, v = (g.standard_normal(s) for s in [(2, 3, 6, 4), (2, 3, 7, 4), (2, 3, 7, 5)])
    mask = keep = None
    kw = {}
    if kind == "causal":
        keep, kw = _causal_keep(6, 7), {"is_causal": True}
    elif kind == "bool_mask":
        keep = g.standard_normal((6, 7)) > 0
        keep[2] = False  # a row with no key: zeros
        kw = {"attn_mask": nerve.from_numpy(keep)}
    elif kind == "float_mask":
        mask = g.standard_normal((3, 6, 7))
        kw = {"attn_mask": nerve.from_numpy(mask)}
    got = F.scaled_dot_product_attention(*map(nerve.from_numpy, (q, k, v)), **kw).numpy()
    want = attention_reference(q, k, v, mask, keep, scale=0.5)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
