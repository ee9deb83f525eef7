"""Transforms: Normalize against a hand computation, Standardize fitted on train only."""

import numpy as np
import pytest
import torch

import nerve
from nerve.data.transforms import Compose, Lambda, Normalize, Standardize, ToTensor


def test_normalize_per_channel_by_hand():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    mean, std = [0.1, -0.2, 0.3], [0.5, 2.0, 1.5]
    out = Normalize(mean, std)(nerve.tensor(x))
    want = np.empty_like(x)
    for c in range(3):
        want[:, c] = (x[:, c] - mean[c]) / std[c]
    assert out.dtype == np.float32 and tuple(out.shape) == x.shape
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6, atol=1e-6)
    single = Normalize(mean, std)(nerve.tensor(x[0]))  # one (C, H, W) image
    np.testing.assert_allclose(single.numpy(), want[0], rtol=1e-6, atol=1e-6)


def test_normalize_gradient_and_inplace():
    x = nerve.ones(1, 2, 2, 2, requires_grad=True)
    Normalize([0.0, 1.0], [2.0, 4.0])(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[0, :, 0, 0], [0.5, 0.25])
    y = nerve.ones(2, 2, 2)
    out = Normalize([1.0, 0.0], [1.0, 2.0], inplace=True)(y)
    assert out is y
    np.testing.assert_allclose(y.numpy()[:, 0, 0], [0.0, 0.5])


def test_normalize_errors():
    with pytest.raises(ValueError, match="std evaluated to zero"):
        Normalize([0.0], [0.0])(nerve.ones(1, 2, 2))
    with pytest.raises(ValueError, match=r"\(\.\.\., C, H, W\)"):
        Normalize([0.0], [1.0])(nerve.ones(2, 2))
    with pytest.raises(TypeError, match="float tensor"):
        Normalize([0.0], [1.0])(nerve.ones(1, 2, 2, dtype=nerve.int64))
    with pytest.raises(RuntimeError, match="3 channels"):
        Normalize([0.0, 0.0], [1.0, 1.0])(nerve.ones(3, 2, 2))


def test_standardize_fits_train_only():
    rng = np.random.default_rng(1)
    train = (rng.standard_normal((100, 4)) * [1, 2, 3, 0] + [5, -1, 0, 7]).astype(np.float32)
    test = rng.standard_normal((10, 4)).astype(np.float32)
    s = Standardize().fit(nerve.tensor(train))
    z = s(nerve.tensor(train)).numpy()
    np.testing.assert_allclose(z[:, :3].mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(z[:, :3].std(0), 1, atol=1e-4)
    np.testing.assert_array_equal(z[:, 3], 0)  # a constant feature maps to 0, not NaN
    out = s.transform(nerve.tensor(test))
    assert out.dtype == np.float32
    want = (test - train.mean(0)) / np.where(train.std(0) > 0, train.std(0), 1)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(s(test[3]), want[3], rtol=1e-5, atol=1e-5)  # one sample
    np.testing.assert_allclose(Standardize().fit_transform(train), z, rtol=1e-5, atol=1e-5)


def test_standardize_per_channel_and_errors():
    rng = np.random.default_rng(2)
    img = rng.standard_normal((8, 3, 4, 4)).astype(np.float32) * 3 + 1
    s = Standardize(dim=(0, 2, 3)).fit(img)
    assert tuple(s.mean.shape) == (1, 3, 1, 1)
    z = s(img)
    np.testing.assert_allclose(z.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    with pytest.raises(RuntimeError, match="fit"):
        Standardize()(img)
    with pytest.raises(RuntimeError, match="shape"):
        Standardize().fit(np.ones((4, 3)))(np.ones((4, 5)))


def test_compose_lambda_totensor():
    pic = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)  # (H, W, C)
    t = ToTensor()(pic)
    assert tuple(t.shape) == (3, 2, 3) and t.dtype == np.float32
    np.testing.assert_allclose(t.numpy(), pic.transpose(2, 0, 1) / 255, rtol=1e-6)
    gray = ToTensor()(np.ones((4, 5), np.float64))
    assert tuple(gray.shape) == (1, 4, 5) and gray.dtype == np.float64
    chain = Compose([ToTensor(), Normalize([0.5] * 3, [0.5] * 3), Lambda(lambda v: v * 2)])
    np.testing.assert_allclose(chain(pic).numpy(), (t.numpy() - 0.5) / 0.5 * 2, rtol=1e-6)
    # the same as PyTorch's arithmetic on the same tensor
    ref = (torch.from_numpy(t.numpy()) - 0.5) / 0.5 * 2
    np.testing.assert_allclose(chain(pic).numpy(), ref.numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match="callable"):
        Lambda(3)
    with pytest.raises(TypeError, match="NumPy array"):
        ToTensor()([1, 2])
