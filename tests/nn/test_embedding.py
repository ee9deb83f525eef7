"""nn.Embedding against torch.nn.Embedding."""

import numpy as np
import pytest
import torch

import nerve
from nerve import nn


def test_against_torch_with_padding():
    t = torch.nn.Embedding(10, 4, padding_idx=0)
    m = nn.Embedding(10, 4, padding_idx=0)
    assert list(m.state_dict()) == list(t.state_dict()) == ["weight"]
    m.load_state_dict({"weight": t.weight.detach().numpy()})
    idx = np.array([[0, 3, 3, 9], [1, 0, 2, 3]])
    y, ty = m(nerve.tensor(idx)), t(torch.tensor(idx))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    w = np.random.default_rng(0).standard_normal(y.shape).astype(np.float32)
    (y * nerve.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    assert isinstance(m.weight.grad, nerve.Tensor)
    np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-6)
    assert not np.any(m.weight.grad.numpy()[0])


def test_init_is_standard_normal_with_zero_padding_row():
    m = nn.Embedding(2000, 8, padding_idx=3)
    w = m.weight.detach().numpy()
    assert m.weight.dtype == nerve.float32 and not np.any(w[3])
    assert abs(w.mean()) < 0.05 and abs(w.std() - 1) < 0.05


def test_padding_row_stays_zero_through_training():
    m = nn.Embedding(5, 3, padding_idx=1)
    for _ in range(3):
        m.zero_grad()
        m(nerve.tensor([1, 2, 1])).pow(2).sum().backward()
        with nerve.no_grad():
            m.weight -= 0.1 * m.weight.grad
    assert not np.any(m.weight.detach().numpy()[1])


def test_from_pretrained_and_errors():
    w = nerve.randn(4, 2)
    m = nn.Embedding.from_pretrained(w)
    assert not m.weight.requires_grad
    np.testing.assert_array_equal(m(nerve.tensor([2])).numpy()[0], w.numpy()[2])
    with pytest.raises(IndexError, match=r"Embedding\(4, 2\).*out of range"):
        m(nerve.tensor([4]))
    with pytest.raises(AssertionError, match="Padding_idx"):
        nn.Embedding(4, 2, padding_idx=4)
    assert repr(nn.Embedding(4, 2, padding_idx=0)) == "Embedding(4, 2, padding_idx=0)"
