"""nn.Normalization: Keras's adapt-then-normalise layer as a Module with buffers."""

import numpy as np
import pytest

import nerve
from nerve import nn


def test_adapt_and_forward():
    x = np.random.default_rng(0).normal(3.0, [1.0, 5.0, 0.1], size=(200, 3)).astype(np.float32)
    layer = nn.Normalization().adapt(x)
    np.testing.assert_allclose(layer.mean.numpy(), x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.variance.numpy(), x.var(0), rtol=1e-4)
    y = layer(nerve.tensor(x)).numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(0), 1, atol=1e-4)
    back = nn.Normalization(mean=layer.mean, variance=layer.variance, invert=True)
    np.testing.assert_allclose(back(nerve.tensor(y)).numpy(), x, rtol=1e-4, atol=1e-4)


def test_inside_a_model_and_its_state_dict():
    x = np.random.default_rng(1).normal(size=(50, 1, 4, 4)).astype(np.float32) * 2 + 1
    model = nn.Sequential(nn.Normalization(axis=1).adapt(x), nn.Flatten(), nn.Linear(16, 2))
    state = model.state_dict()
    assert set(state) >= {"0.mean", "0.variance"}
    fresh = nn.Sequential(nn.Normalization(axis=1, num_features=1), nn.Flatten(), nn.Linear(16, 2))
    fresh.load_state_dict(state)
    inp = nerve.tensor(x)
    np.testing.assert_array_equal(fresh(inp).detach().numpy(), model(inp).detach().numpy())
    assert not list(model[0].parameters())  # statistics are buffers, not trained


def test_whole_tensor_axis_none_and_errors():
    layer = nn.Normalization(axis=None).adapt(np.array([1.0, 3.0]))
    assert layer(nerve.tensor([2.0])).tolist() == [0.0]
    with pytest.raises(RuntimeError, match="adapt"):
        nn.Normalization()(nerve.ones(2, 3))
    with pytest.raises(RuntimeError, match="expected 3 features"):
        nn.Normalization().adapt(np.ones((4, 3)))(nerve.ones(2, 5))
    with pytest.raises(ValueError, match="both mean and variance"):
        nn.Normalization(mean=[0.0])
    zero_var = nn.Normalization().adapt(np.ones((4, 2)))
    assert np.isfinite(zero_var(nerve.ones(1, 2)).numpy()).all()  # ε keeps it finite
