"""Dropout1d, AlphaDropout and FeatureAlphaDropout (and their functionals): the random
streams differ from PyTorch's, so these check statistics, mask structure, gradients,
evaluation identity, defaults and errors, with torch's statistics as the reference."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import nerve
import nerve.nn as nn
import nerve.nn.functional as F

ALPHA = 1.7580993408473766  # SELU's λα


def _a(p):
    return 1 / np.sqrt((ALPHA**2 * p + 1) * (1 - p))


# ----- Dropout1d -------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(200, 50, 8), (3000, 8)])
def test_dropout1d_zeroes_whole_channels(shape):
    nerve.manual_seed(0)
    p = 0.3
    x = nerve.ones(*shape, requires_grad=True)
    y = nn.Dropout1d(p)(x)
    rows = y.detach().numpy().reshape(-1, shape[-1])
    assert np.all((rows == 0).all(axis=1) | np.isclose(rows, 1 / (1 - p)).all(axis=1))
    assert abs((rows[:, 0] == 0).mean() - p) < 0.02
    assert abs(rows.mean() - 1) < 0.03  # E[y] = x
    w = nerve.randn(*shape)
    (y * w).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (w * y).detach().numpy(), rtol=1e-6)


def test_dropout1d_eval_p0_and_errors():
    x = nerve.randn(2, 3, 4)
    m = nn.Dropout1d(0.5).eval()
    assert m(x) is x or np.array_equal(m(x).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout1d(x, 0.0).numpy(), x.numpy())
    assert np.all(F.dropout1d(x, 1.0).numpy() == 0)
    for shape in [(5,), (2, 3, 4, 5)]:
        with pytest.raises(RuntimeError):
            TF.dropout1d(torch.zeros(shape))
        with pytest.raises(RuntimeError, match=f"dropout1d.*{len(shape)}D"):
            F.dropout1d(nerve.zeros(*shape))
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout1d(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout1d(x, -0.1)


# ----- AlphaDropout ----------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_alpha_dropout_keeps_mean_and_variance_like_torch(p):
    nerve.manual_seed(1)
    x = np.random.default_rng(0).standard_normal((1000, 1000)).astype(np.float32)
    y = F.alpha_dropout(nerve.tensor(x), p, training=True).numpy()
    ty = TF.alpha_dropout(torch.from_numpy(x), p, training=True).numpy()
    assert y.dtype == np.float32
    for out in (y, ty):
        assert abs(out.mean()) < 0.01 and abs(out.var() - 1) < 0.01
    dropped_value = ALPHA * _a(p) * (p - 1)  # the affine image of -λα
    dropped = np.isclose(y, dropped_value, atol=1e-6)
    assert abs(dropped.mean() - p) < 0.005
    assert abs(np.isclose(ty, dropped_value, atol=1e-6).mean() - p) < 0.005
    kept = ~dropped
    np.testing.assert_allclose(y[kept], _a(p) * x[kept] + ALPHA * _a(p) * p, rtol=1e-5, atol=1e-6)


def test_alpha_dropout_gradient_is_the_scaled_mask():
    nerve.manual_seed(2)
    p = 0.2
    x = nerve.tensor(np.random.default_rng(1).standard_normal((50, 40)), requires_grad=True)
    y = F.alpha_dropout(x, p, training=True)
    y.sum().backward()
    dropped = np.isclose(y.detach().numpy(), ALPHA * _a(p) * (p - 1))
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), np.where(dropped, 0.0, _a(p)))


def test_alpha_dropout_defaults_eval_and_edges():
    x = nerve.randn(4, 5)
    assert F.alpha_dropout(x, 0.5) is x  # training defaults to False, as in PyTorch
    assert F.feature_alpha_dropout(x, 0.5) is x
    m = nn.AlphaDropout(0.3)
    assert repr(m) == repr(torch.nn.AlphaDropout(0.3)) and m.training
    np.testing.assert_array_equal(m.eval()(x).numpy(), x.numpy())
    assert np.all(F.alpha_dropout(x, 1.0, True).numpy() == 0)  # p = 1 gives zeros, as torch
    np.testing.assert_array_equal(F.alpha_dropout(x, 0.0, True).numpy(), x.numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.alpha_dropout(x, 1.5, True)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.FeatureAlphaDropout(-1)


def test_alpha_dropout_is_reproducible_with_manual_seed():
    x = nerve.randn(30, 30)
    nerve.manual_seed(7)
    a = F.alpha_dropout(x, 0.4, True).numpy()
    nerve.manual_seed(7)
    np.testing.assert_array_equal(a, F.alpha_dropout(x, 0.4, True).numpy())


# ----- FeatureAlphaDropout ---------------------------------------------------------------
def test_feature_alpha_dropout_masks_per_channel_and_keeps_statistics():
    nerve.manual_seed(3)
    p = 0.25
    x = np.random.default_rng(2).standard_normal((400, 64, 6, 6)).astype(np.float32)
    y = nn.FeatureAlphaDropout(p)(nerve.tensor(x)).numpy()
    ty = torch.nn.FeatureAlphaDropout(p)(torch.from_numpy(x)).numpy()
    a = _a(p)
    dropped = np.isclose(y, ALPHA * a * (p - 1), atol=1e-6).all(axis=(2, 3))
    assert abs(dropped.mean() - p) < 0.01
    kept = ~dropped  # a whole channel is either dropped or the affine map of x
    np.testing.assert_allclose(y[kept], a * x[kept] + ALPHA * a * p, rtol=1e-5, atol=1e-5)
    for out in (y, ty):
        assert abs(out.mean()) < 0.02 and abs(out.var() - 1) < 0.02
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        F.feature_alpha_dropout(nerve.zeros(5), 0.5, True)


@pytest.mark.parametrize("name", ["Dropout1d", "AlphaDropout", "FeatureAlphaDropout"])
def test_repr_and_no_state(name):
    m, t = getattr(nn, name)(), getattr(torch.nn, name)()
    assert repr(m) == repr(t) and m.p == 0.5 and not m.inplace
    assert list(m.state_dict()) == []
