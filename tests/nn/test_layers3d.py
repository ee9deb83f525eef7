"""The 3-D (volumetric) layers against their torch twins: convolution, transposed
convolution, pooling, batch and instance normalization, channel dropout and padding."""

import math

import numpy as np
import pytest
import torch
import torch.nn as tnn
from layercheck import twin_check

import nerve
import nerve.nn as nn

X5 = (2, 3, 5, 6, 4)


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(stride=2, padding=1, bias=False),
        dict(stride=(1, 2, 1), padding=(1, 0, 2), dilation=(2, 1, 1)),
        dict(padding="same", groups=3),
        dict(padding="valid"),
        dict(padding=(1, 2, 1), padding_mode="reflect"),
        dict(padding=1, padding_mode="replicate", stride=2),
        dict(padding="same", padding_mode="circular"),
    ],
)
def test_conv3d_matches_torch(kw):
    torch.manual_seed(0)
    twin_check(nn.Conv3d(3, 6, 3, **kw), tnn.Conv3d(3, 6, 3, **kw), X5)


@pytest.mark.parametrize(
    "kw, size",
    [
        (dict(), None),
        (dict(stride=2, padding=1, output_padding=1, bias=False), None),
        (dict(stride=(2, 1, 2), groups=3, dilation=(1, 2, 1)), None),
        (dict(stride=2, padding=1), (9, 11, 7)),
    ],
)
def test_conv_transpose3d_matches_torch(kw, size):
    torch.manual_seed(0)
    layer, tlayer = nn.ConvTranspose3d(3, 6, 3, **kw), tnn.ConvTranspose3d(3, 6, 3, **kw)
    if size is not None:  # forward(input, output_size)
        x = np.random.default_rng(0).standard_normal(X5).astype(np.float32)
        y = layer(nerve.tensor(x), output_size=size)
        assert tuple(y.shape) == tuple(tlayer(torch.from_numpy(x), output_size=size).shape)
        return
    twin_check(layer, tlayer, X5)


def test_unbatched_input():
    torch.manual_seed(0)
    twin_check(nn.Conv3d(3, 4, 2), tnn.Conv3d(3, 4, 2), X5[1:])
    twin_check(
        nn.ConvTranspose3d(3, 4, 2, stride=2), tnn.ConvTranspose3d(3, 4, 2, stride=2), X5[1:]
    )
    twin_check(nn.MaxPool3d(2), tnn.MaxPool3d(2), X5[1:])
    twin_check(nn.AvgPool3d(2), tnn.AvgPool3d(2), X5[1:])
    twin_check(nn.AdaptiveAvgPool3d((2, 3, 1)), tnn.AdaptiveAvgPool3d((2, 3, 1)), X5[1:])
    twin_check(nn.AdaptiveMaxPool3d(2), tnn.AdaptiveMaxPool3d(2), X5[1:])
    twin_check(nn.InstanceNorm3d(3, affine=True), tnn.InstanceNorm3d(3, affine=True), X5[1:])
    for mode in ("ZeroPad3d", "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d"):
        twin_check(
            getattr(nn, mode)((1, 2, 0, 1, 2, 1)), getattr(tnn, mode)((1, 2, 0, 1, 2, 1)), X5[1:]
        )


def test_weights_state_dict_and_default_init():
    conv, tconv = nn.Conv3d(4, 8, (2, 3, 3), bias=True), nn.ConvTranspose3d(8, 4, 3)
    assert conv.weight.shape == (8, 4, 2, 3, 3) and conv.bias.shape == (8,)
    assert tconv.weight.shape == (8, 4, 3, 3, 3) and tconv.bias.shape == (4,)
    assert list(conv.state_dict()) == ["weight", "bias"]
    for layer, fan_in in (
        (nn.Conv3d(16, 64, 3), 16 * 27),
        (nn.ConvTranspose3d(64, 16, 3), 16 * 27),
    ):
        bound = 1 / math.sqrt(fan_in)
        w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
        assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(b).max() <= bound
        assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert list(nn.BatchNorm3d(3).state_dict()) == list(tnn.BatchNorm3d(3).state_dict())
    assert list(nn.InstanceNorm3d(3, affine=True, track_running_stats=True).state_dict()) == list(
        tnn.InstanceNorm3d(3, affine=True, track_running_stats=True).state_dict()
    )
    assert nn.Conv3d(2, 2, 3, dtype=nerve.float64).weight.dtype == nerve.float64


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize(
    "kw", [dict(), dict(affine=False), dict(momentum=None), dict(track_running_stats=False)]
)
def test_batchnorm3d_matches_torch(train, kw):
    layer, tlayer = nn.BatchNorm3d(3, **kw), tnn.BatchNorm3d(3, **kw)
    with torch.no_grad():  # non-trivial running statistics and affine parameters
        if tlayer.running_mean is not None:
            tlayer.running_mean.uniform_(-1, 1)
            tlayer.running_var.uniform_(0.5, 2)
        if tlayer.weight is not None:
            tlayer.weight.uniform_(0.5, 2)
            tlayer.bias.uniform_(-1, 1)
    for seed in range(2):  # two steps: the running statistics are updated twice
        twin_check(layer, tlayer, X5, train=train, copy=seed == 0, seed=seed)


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize(
    "kw", [dict(), dict(affine=True), dict(affine=True, track_running_stats=True)]
)
def test_instancenorm3d_matches_torch(train, kw):
    layer, tlayer = nn.InstanceNorm3d(3, **kw), tnn.InstanceNorm3d(3, **kw)
    for seed in range(2):
        twin_check(layer, tlayer, X5, train=train, copy=seed == 0, seed=seed)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.MaxPool3d(2),
        lambda m: m.MaxPool3d(3, 2, 1, dilation=(1, 2, 1), ceil_mode=True),
        lambda m: m.AvgPool3d(2),
        lambda m: m.AvgPool3d((3, 2, 3), (2, 1, 2), 1, True, False),
        lambda m: m.AvgPool3d(3, 2, 1, divisor_override=4),
        lambda m: m.AdaptiveAvgPool3d((2, None, 3)),
        lambda m: m.AdaptiveAvgPool3d(1),
        lambda m: m.AdaptiveMaxPool3d((3, 4, 2)),
        lambda m: m.ZeroPad3d(1),
        lambda m: m.ConstantPad3d((1, 0, 2, 1, 0, 2), -1.5),
        lambda m: m.ReflectionPad3d(2),
        lambda m: m.ReplicationPad3d((2, 1, 0, 3, 1, 1)),
        lambda m: m.CircularPad3d((1, 2, 2, 1, 3, 0)),
    ],
)
def test_parameterless_layers_match_torch(make):
    layer, tlayer = make(nn), make(tnn)
    assert repr(layer) == repr(tlayer)
    twin_check(layer, tlayer, X5)


def test_max_pool3d_return_indices():
    x = np.random.default_rng(0).standard_normal(X5).astype(np.float32)
    for make in (
        lambda m: m.MaxPool3d(2, return_indices=True),
        lambda m: m.AdaptiveMaxPool3d((2, 3, 3), return_indices=True),
    ):
        (y, idx), (ty, tidx) = make(nn)(nerve.tensor(x)), make(tnn)(torch.from_numpy(x))
        np.testing.assert_array_equal(y.numpy(), ty.numpy())
        np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_dropout3d_zeroes_whole_channels_and_is_identity_in_eval():
    nerve.manual_seed(0)
    layer = nn.Dropout3d(0.5)
    x = nerve.ones(8, 16, 2, 3, 4, requires_grad=True)
    y = layer(x).detach().numpy().reshape(8, 16, -1)
    assert np.all(y.std(axis=-1) == 0)  # one draw per (N, C)
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.3 < (y[..., 0] == 0).mean() < 0.7
    layer(x).sum().backward()
    assert x.grad.dtype == nerve.float32
    y4 = nn.Dropout3d(0.5)(nerve.ones(16, 2, 3, 4)).numpy().reshape(16, -1)  # unbatched
    assert np.all(y4.std(axis=-1) == 0)
    layer.eval()
    assert layer(x) is x
    assert repr(layer) == repr(tnn.Dropout3d(0.5))
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout3d(1.5)


def test_reprs_match_torch():
    for make in (
        lambda m: m.Conv3d(2, 4, 3),
        lambda m: m.Conv3d(2, 4, (1, 2, 3), 2, 1, 2, 2, False, "reflect"),
        lambda m: m.Conv3d(2, 4, 3, padding="same"),
        lambda m: m.ConvTranspose3d(2, 4, 3, 2, 1, 1, 2, False, 1),
        lambda m: m.BatchNorm3d(4),
        lambda m: m.BatchNorm3d(4, affine=False),
        lambda m: m.InstanceNorm3d(4),
        lambda m: m.Dropout3d(0.3, True),
    ):
        assert repr(make(nn)) == repr(make(tnn))


def test_bad_input():
    with pytest.raises(RuntimeError, match=r"Conv3d\(3, 4.*expected 4D \(unbatched\) or 5D"):
        nn.Conv3d(3, 4, 2)(nerve.randn(3, 4, 4))
    with pytest.raises(RuntimeError, match=r"Conv3d\(3, 4.*expected input with 3 channels"):
        nn.Conv3d(3, 4, 2)(nerve.randn(1, 2, 4, 4, 4))
    with pytest.raises(RuntimeError, match=r"ConvTranspose3d\(3, 4.*3 channels"):
        nn.ConvTranspose3d(3, 4, 2)(nerve.randn(1, 2, 4, 4, 4))
    with pytest.raises(ValueError, match="BatchNorm3d: expected 5D input"):
        nn.BatchNorm3d(3)(nerve.randn(3, 4, 4, 4))
    with pytest.raises(RuntimeError, match=r"BatchNorm3d\(3\): expected input with 3 channels"):
        nn.BatchNorm3d(3)(nerve.randn(2, 4, 4, 4, 4))
    with pytest.raises(ValueError, match="InstanceNorm3d: expected 4D or 5D input"):
        nn.InstanceNorm3d(3)(nerve.randn(3, 4, 4))
    with pytest.raises(RuntimeError, match="max_pool3d: expected 4D or 5D"):
        nn.MaxPool3d(2)(nerve.randn(3, 4, 4))
    with pytest.warns(UserWarning, match="dropout3d: Received a 2-D input"):  # as torch
        assert nn.Dropout3d()(nerve.randn(3, 4)).shape == (3, 4)
    with pytest.raises(ValueError, match="CircularPad3d: expected 4D or 5D"):
        nn.CircularPad3d(1)(nerve.randn(3, 4, 4))
    # torch raises the same types
    with pytest.raises(RuntimeError):
        tnn.Conv3d(3, 4, 2)(torch.randn(1, 2, 4, 4, 4))
    with pytest.raises(ValueError):
        tnn.BatchNorm3d(3)(torch.randn(3, 4, 4, 4))
    with pytest.raises(ValueError):
        tnn.InstanceNorm3d(3)(torch.randn(3, 4, 4))
    with pytest.raises(ValueError):
        tnn.CircularPad3d(1)(torch.randn(3, 4, 4))
