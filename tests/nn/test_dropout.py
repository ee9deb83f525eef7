"""nn.Dropout and nn.Dropout2d: training statistics, evaluation identity, validation."""

import numpy as np
import pytest
import torch

import nerve
import nerve.nn as nn


def test_train_scales_and_eval_is_identity():
    m = nn.Dropout(0.25)
    x = nerve.ones(100, 400, requires_grad=True)
    y = m(x)
    kept = y.detach().numpy() != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())
    m.eval()
    z = nerve.randn(3, 4)
    np.testing.assert_array_equal(m(z).numpy(), z.numpy())


def test_mean_is_preserved():
    y = nn.Dropout(0.5)(nerve.ones(1_000_000)).numpy()
    assert abs(y.mean() - 1) < 0.01


@pytest.mark.parametrize("p", [-0.1, 1.1])
def test_bad_p_raises_value_error_like_torch(p):
    with pytest.raises(ValueError):
        torch.nn.Dropout(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(p)


def test_repr_and_no_state():
    assert repr(nn.Dropout()) == repr(torch.nn.Dropout())
    assert repr(nn.Dropout(0.2)) == repr(torch.nn.Dropout(0.2))
    assert repr(nn.Dropout2d(0.3)) == repr(torch.nn.Dropout2d(0.3))
    assert not nn.Dropout().state_dict()


def test_p_one_and_zero():
    x = nerve.randn(4, 4)
    assert not nn.Dropout(1.0)(x).numpy().any()
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())


def test_dropout2d_channels_and_reproducibility():
    m = nn.Dropout2d(0.5)
    nerve.manual_seed(1)
    y = m(nerve.ones(4, 8, 2, 2)).numpy()
    nerve.manual_seed(1)
    np.testing.assert_array_equal(m(nerve.ones(4, 8, 2, 2)).numpy(), y)
    flat = y.reshape(4, 8, 4)
    assert (flat.min(2) == flat.max(2)).all() and set(np.unique(flat)) <= {0.0, 2.0}
