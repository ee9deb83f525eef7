"""BatchNorm2d and Dropout2d, the convolutional layers' companions, against torch.nn."""

import numpy as np
import pytest
import torch

import nerve
from nerve import nn


def _pair(affine=True, track=True, momentum=0.1):
    bn = nn.BatchNorm2d(3, affine=affine, track_running_stats=track, momentum=momentum)
    tbn = torch.nn.BatchNorm2d(3, affine=affine, track_running_stats=track, momentum=momentum)
    if affine:
        rng = np.random.default_rng(5)
        w, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
        bn.weight._data[...], bn.bias._data[...] = w, b
        with torch.no_grad():
            tbn.weight.copy_(torch.from_numpy(w))
            tbn.bias.copy_(torch.from_numpy(b))
    return bn, tbn


def _step(bn, tbn, x):
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = bn(xn), tbn(xt)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = np.random.default_rng(2).standard_normal(x.shape).astype(np.float32)
    (y * nerve.tensor(g)).sum().backward()
    (yt * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name, p in tbn.named_parameters():
        np.testing.assert_allclose(
            getattr(bn, name).grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=name
        )
        getattr(bn, name).grad = None
        p.grad = None


@pytest.mark.parametrize(
    "affine,track,momentum",
    [(True, True, 0.1), (False, True, 0.3), (True, False, 0.1), (True, True, None)],
)
def test_batchnorm2d_train_then_eval_matches_torch(affine, track, momentum):
    bn, tbn = _pair(affine, track, momentum)
    rng = np.random.default_rng(0)
    for _ in range(3):
        _step(bn, tbn, (rng.standard_normal((4, 3, 5, 6)) * 2 + 1).astype(np.float32))
    if track:
        np.testing.assert_allclose(
            bn.running_mean.numpy(), tbn.running_mean.numpy(), rtol=1e-5, atol=1e-6
        )
        np.testing.assert_allclose(
            bn.running_var.numpy(), tbn.running_var.numpy(), rtol=1e-5, atol=1e-6
        )
    bn.eval()
    tbn.eval()
    _step(bn, tbn, rng.standard_normal((2, 3, 4, 4)).astype(np.float32))


def test_batchnorm2d_state_dict_keys_and_shape_check():
    assert list(nn.BatchNorm2d(4).state_dict()) == list(torch.nn.BatchNorm2d(4).state_dict())
    with pytest.raises(ValueError):
        nn.BatchNorm2d(4)(nerve.randn(2, 4, 5))


def test_dropout2d_zeroes_whole_channels_and_scales():
    nerve.manual_seed(0)
    layer = nn.Dropout2d(0.5)
    x = nerve.ones(8, 16, 4, 4, requires_grad=True)
    y = layer(x)
    per_channel = y.detach().numpy().reshape(8, 16, -1)
    # every channel is all zero or all 1/(1-p)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    kept = (per_channel == 2).all(-1).mean()
    assert 0.3 < kept < 0.7
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), x.detach().numpy())
