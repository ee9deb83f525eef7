"""Dropout's op with a fixed mask (finite differences, PyTorch) and its random draw."""

import numpy as np
import pytest
import torch
from opcheck import Case, on_device_of, table_tests

import nerve
import nerve.nn.functional as F
from nerve.ops.nn import dropout

rng = np.random.default_rng(0)
MASK = (rng.random((3, 4)) >= 0.3) / 0.7


def _nerve_mask(mask):
    return lambda x: dropout.Dropout.apply(x, on_device_of(mask.astype(x.dtype), x))


def _torch_mask(mask):
    def fn(x):
        return x * torch.from_numpy(mask).to(x.dtype)

    return fn


CASES = [
    Case("Dropout", _nerve_mask(MASK), _torch_mask(MASK), [(3, 4)]),
    Case("Dropout/channel_mask", _nerve_mask(MASK[:, :1]), _torch_mask(MASK[:, :1]), [(3, 4)]),
    Case("Dropout/p1", _nerve_mask(MASK * 0), _torch_mask(MASK * 0), [(3, 4)]),
]


table_tests(CASES, covers=dropout)


def test_keep_rate_scale_and_gradient():
    x = nerve.ones(200, 500, requires_grad=True)
    y = F.dropout(x, 0.3, training=True)
    kept = y.detach().numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy() != 0, kept)
    assert y.dtype == nerve.float32


def test_reproducible_with_manual_seed():
    nerve.manual_seed(5)
    a = F.dropout(nerve.ones(50), 0.5).numpy()
    nerve.manual_seed(5)
    np.testing.assert_array_equal(F.dropout(nerve.ones(50), 0.5).numpy(), a)


def test_eval_p0_p1_and_validation():
    x = nerve.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).numpy().any()
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, p)


def test_dropout2d_zeroes_whole_channels():
    y = F.dropout2d(nerve.ones(8, 16, 3, 3), 0.5).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert (per_channel.min(axis=2) == per_channel.max(axis=2)).all()
    assert 0 < (per_channel[:, :, 0] == 0).mean() < 1
    with pytest.warns(UserWarning, match="deprecated"):  # other ranks: as in PyTorch
        assert F.dropout2d(nerve.ones(2, 3), 0.5).shape == (2, 3)
    with pytest.raises(RuntimeError, match="at least 2 dimensions"), pytest.warns(UserWarning):
        F.dropout2d(nerve.ones(3), 0.5)
