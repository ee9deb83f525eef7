"""multi_head_attention_forward's own paths: the heads are views of one QKV product, and the
explicit-weights path (the formula, step by step) agrees with the fused attention path.
nn.MultiheadAttention against PyTorch is in tests/nn/test_attention.py."""

import numpy as np
import pytest

import nerve
from nerve import nn
from nerve.functional.multi_head_attention import _heads


def test_head_split_is_a_view_of_the_qkv_product():
    qkv = nerve.randn(5, 2, 3 * 8)  # (L, N, 3E): the one GEMM's output
    for part in qkv.chunk(3, -1):
        heads = _heads(part, None, 2, 4, 2, "q")
        assert tuple(heads.shape) == (2, 4, 5, 2)
        assert np.shares_memory(heads._data, qkv._data)
    first = _heads(qkv.chunk(3, -1)[0], None, 2, 4, 2, "q")
    np.testing.assert_array_equal(first.numpy()[1, 3, :, :], qkv.numpy()[:, 1, 6:8])


@pytest.mark.parametrize("masked", [False, True])
def test_weights_path_agrees_with_the_fused_path(masked):
    nerve.manual_seed(0)
    m = nn.MultiheadAttention(8, 2)
    x = nerve.randn(6, 3, 8, requires_grad=True)
    mask = nn.Transformer.generate_square_subsequent_mask(6) if masked else None
    a, w = m(x, x, x, attn_mask=mask, need_weights=True)
    b, none = m(x, x, x, attn_mask=mask, need_weights=False)
    assert none is None and tuple(w.shape) == (3, 6, 6)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    ga = nerve.autograd.grad(a.sum(), x)[0].numpy()
    gb = nerve.autograd.grad(b.sum(), x)[0].numpy()
    np.testing.assert_allclose(ga, gb, rtol=1e-4, atol=1e-5)
