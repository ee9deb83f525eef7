"""nn.Embedding's max_norm, scale_grad_by_freq and from_pretrained, and nn.EmbeddingBag,
against torch.nn with copied weights."""

import numpy as np
import pytest
import torch
from layercheck import load_from_torch

import nerve
import nerve.nn as nn


def _grads_match(m, t, y, ty, rtol=1e-5):
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=rtol, atol=1e-6)
    dy = np.random.default_rng(1).standard_normal(tuple(ty.shape)).astype(np.float32)
    y.backward(nerve.tensor(dy))
    ty.backward(torch.from_numpy(dy))
    np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=rtol, atol=1e-6)


@pytest.mark.parametrize(
    "kw",
    [
        dict(max_norm=1.0),
        dict(max_norm=0.5, norm_type=1.0),
        dict(scale_grad_by_freq=True, padding_idx=3),
        dict(max_norm=1.0, scale_grad_by_freq=True),
    ],
)
def test_embedding_options_against_torch(kw):
    m, t = nn.Embedding(10, 4, **kw), torch.nn.Embedding(10, 4, **kw)
    load_from_torch(m, t)
    idx = np.array([[1, 3, 3, 7], [7, 7, 0, 1]])
    y, ty = m(nerve.tensor(idx)), t(torch.tensor(idx))
    # max_norm renormalises the looked-up rows of the weight itself
    np.testing.assert_allclose(m.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)
    _grads_match(m, t, y, ty)
    assert repr(m) == repr(t)


def test_max_norm_leaves_unread_rows_and_small_rows_alone():
    m = nn.Embedding(5, 3, max_norm=1.0)
    w0 = np.array([[3, 0, 0], [0.1, 0, 0], [0, 4, 0], [0, 0, 5], [1, 1, 1]], np.float32)
    m.weight._data[:] = w0
    m(nerve.tensor([0, 1, 0]))
    w = m.weight.detach().numpy()
    np.testing.assert_allclose(np.linalg.norm(w[0]), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(w[1:], w0[1:])


def test_from_pretrained_freeze_and_padding_like_torch():
    w = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    m = nn.Embedding.from_pretrained(nerve.tensor(w), freeze=False, padding_idx=2)
    t = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=False, padding_idx=2)
    assert m.weight.requires_grad and repr(m) == repr(t)
    np.testing.assert_array_equal(m.weight.detach().numpy()[2], w[2])  # not zeroed
    idx = np.array([2, 0, 2, 4])
    _grads_match(m, t, m(nerve.tensor(idx)), t(torch.tensor(idx)))
    assert not m.weight.grad.numpy()[2].any()
    frozen = nn.Embedding.from_pretrained(nerve.tensor(w))
    assert not frozen.weight.requires_grad
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.Embedding.from_pretrained(nerve.ones(3))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize(
    "kw", [{}, dict(padding_idx=2), dict(include_last_offset=True), dict(max_norm=1.0)]
)
def test_embedding_bag_with_offsets_against_torch(mode, kw):
    m, t = nn.EmbeddingBag(8, 4, mode=mode, **kw), torch.nn.EmbeddingBag(8, 4, mode=mode, **kw)
    load_from_torch(m, t)
    idx, off = np.array([1, 2, 4, 5, 4, 3, 2, 0, 2, 7]), np.array([0, 3, 3, 7])
    if kw.get("include_last_offset"):
        # the last offset ends the last bag; torch 2.13 miscounts a mean's last bag when
        # indices trail it, so the well-formed case is compared
        off = np.r_[off, len(idx)]
    y = m(nerve.tensor(idx), nerve.tensor(off))
    ty = t(torch.tensor(idx), torch.tensor(off))
    assert y.shape == tuple(ty.shape) and y.dtype == nerve.float32
    np.testing.assert_allclose(m.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)
    _grads_match(m, t, y, ty)
    assert repr(m) == repr(t) and list(m.state_dict()) == list(t.state_dict()) == ["weight"]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_fixed_length_bags_against_torch(mode):
    m, t = nn.EmbeddingBag(6, 3, mode=mode), torch.nn.EmbeddingBag(6, 3, mode=mode)
    load_from_torch(m, t)
    idx = np.random.default_rng(0).integers(0, 6, (5, 4))
    _grads_match(m, t, m(nerve.tensor(idx)), t(torch.tensor(idx)))


def test_embedding_bag_per_sample_weights_against_torch():
    m, t = nn.EmbeddingBag(6, 3, mode="sum"), torch.nn.EmbeddingBag(6, 3, mode="sum")
    load_from_torch(m, t)
    idx, off = np.array([1, 2, 4, 5, 4, 3]), np.array([0, 2])
    s = np.random.default_rng(0).standard_normal(6).astype(np.float32)
    ns, ts = nerve.tensor(s, requires_grad=True), torch.tensor(s, requires_grad=True)
    y = m(nerve.tensor(idx), nerve.tensor(off), per_sample_weights=ns)
    ty = t(torch.tensor(idx), torch.tensor(off), per_sample_weights=ts)
    _grads_match(m, t, y, ty)
    np.testing.assert_allclose(ns.grad.numpy(), ts.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_embedding_bag_init_padding_and_from_pretrained():
    m = nn.EmbeddingBag(2000, 50, padding_idx=-1)
    w = m.weight.detach().numpy()
    assert m.padding_idx == 1999 and not w[1999].any()
    assert abs(w[:1999].mean()) < 0.01 and abs(w[:1999].std() - 1) < 0.01
    assert nn.EmbeddingBag(3, 2, dtype=nerve.float64).weight.dtype == nerve.float64
    pre = np.arange(6, dtype=np.float32).reshape(3, 2)
    b = nn.EmbeddingBag.from_pretrained(nerve.tensor(pre), mode="sum")
    tb = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(pre), mode="sum")
    assert not b.weight.requires_grad and repr(b) == repr(tb)
    np.testing.assert_array_equal(b(nerve.tensor([[0, 2]])).numpy(), [[4, 6]])
    with pytest.raises(NotImplementedError):
        nn.EmbeddingBag(3, 2, sparse=True)
