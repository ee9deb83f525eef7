"""ConvTranspose1d/2d against torch with copied weights, their initialisation, state_dict,
repr and errors; and the parameter-free layers of the same family: Fold, Unfold,
PixelShuffle, PixelUnshuffle, Upsample's interpolating modes, UpsamplingBilinear2d."""

import math

import numpy as np
import pytest
import torch
from layercheck import twin_check

import nerve
from nerve import nn

CONFIGS_2D = [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(
        in_channels=2,
        out_channels=3,
        kernel_size=(3, 2),
        stride=(2, 1),
        padding=(1, 0),
        output_padding=(1, 0),
        bias=False,
    ),
    dict(in_channels=4, out_channels=6, kernel_size=4, stride=2, padding=1, groups=2),
    dict(in_channels=3, out_channels=3, kernel_size=3, groups=3, dilation=2, output_padding=1),
    dict(in_channels=5, out_channels=2, kernel_size=1),
]


@pytest.mark.parametrize("cfg", CONFIGS_2D, ids=lambda c: str(sorted(c.items())))
def test_conv_transpose2d_matches_torch(cfg):
    twin_check(
        nn.ConvTranspose2d(**cfg),
        torch.nn.ConvTranspose2d(**cfg),
        (2, cfg["in_channels"], 5, 4),
        atol=1e-4,
    )


@pytest.mark.parametrize(
    "cfg",
    [
        dict(in_channels=3, out_channels=4, kernel_size=3),
        dict(in_channels=4, out_channels=2, kernel_size=4, stride=2, padding=1, groups=2),
        dict(
            in_channels=2,
            out_channels=3,
            kernel_size=3,
            stride=3,
            dilation=2,
            output_padding=2,
            bias=False,
        ),
    ],
    ids=str,
)
def test_conv_transpose1d_matches_torch(cfg):
    twin_check(
        nn.ConvTranspose1d(**cfg),
        torch.nn.ConvTranspose1d(**cfg),
        (3, cfg["in_channels"], 6),
        atol=1e-4,
    )


def test_unbatched_and_float64():
    twin_check(
        nn.ConvTranspose2d(3, 2, 3, stride=2),
        torch.nn.ConvTranspose2d(3, 2, 3, stride=2),
        (3, 4, 4),
        atol=1e-4,
    )
    layer = nn.ConvTranspose2d(2, 3, 3).double()
    assert layer(nerve.randn(1, 2, 3, 3).double()).dtype == nerve.float64


@pytest.mark.parametrize("output_size", [(8, 8), (1, 3, 8, 7), [7, 8]])
def test_output_size_picks_the_output_padding(output_size):
    layer, tlayer = (
        nn.ConvTranspose2d(2, 3, 3, stride=2),
        torch.nn.ConvTranspose2d(2, 3, 3, stride=2),
    )
    layer.load_state_dict({k: v.detach().numpy() for k, v in tlayer.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 3)).astype(np.float32)
    y = layer(nerve.tensor(x), output_size=output_size)
    yt = tlayer(torch.tensor(x), output_size=output_size)
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match=r"valid sizes range from \[7, 7\] to \[8, 8\]"):
        layer(nerve.tensor(x), output_size=(9, 9))


def test_weight_shapes_state_dict_and_init():
    layer, tlayer = (
        nn.ConvTranspose2d(6, 8, (3, 5), groups=2),
        torch.nn.ConvTranspose2d(6, 8, (3, 5), groups=2),
    )
    assert layer.weight.shape == (6, 4, 3, 5) and layer.bias.shape == (8,)
    assert list(layer.state_dict()) == list(tlayer.state_dict())
    assert list(nn.ConvTranspose1d(2, 3, 3, bias=False).state_dict()) == ["weight"]
    assert layer.weight.dtype == nerve.float32
    nerve.manual_seed(0)
    big = nn.ConvTranspose2d(16, 64, 3)
    bound = 1 / math.sqrt(64 * 9)  # fan_in is the weight's dim 1 times the kernel
    w, b = big.weight.detach().numpy(), big.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert abs(b.std() - bound / math.sqrt(3)) < 0.2 * bound


def test_repr():
    for args, kw in [
        ((2, 4, 3), dict(stride=2, output_padding=1, groups=2, bias=False, dilation=2)),
        ((3, 8, 3), dict(padding=1)),
        ((2, 2, (3, 2)), {}),
    ]:
        assert repr(nn.ConvTranspose2d(*args, **kw)) == repr(torch.nn.ConvTranspose2d(*args, **kw))
    assert repr(nn.ConvTranspose1d(2, 4, 3, padding=1)) == repr(
        torch.nn.ConvTranspose1d(2, 4, 3, padding=1)
    )


def test_errors():
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(2, 3, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.ConvTranspose2d(3, 4, 3, groups=2)
    with pytest.raises(RuntimeError, match=r"ConvTranspose2d\(2, 3.*expected input with 2"):
        nn.ConvTranspose2d(2, 3, 3)(nerve.randn(1, 3, 4, 4))
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        nn.ConvTranspose2d(2, 3, 3, output_padding=1)(nerve.randn(1, 2, 4, 4))


# ----- Fold, Unfold, PixelShuffle, Upsample ------------------------------------------------
def _twin(layer, tlayer, shape):
    twin_check(layer, tlayer, shape, atol=1e-5)
    assert repr(layer) == repr(tlayer)


def test_fold_unfold_layers():
    _twin(nn.Unfold(2, padding=1, stride=2), torch.nn.Unfold(2, padding=1, stride=2), (2, 3, 5, 4))
    _twin(nn.Fold((4, 5), 2, stride=(2, 1)), torch.nn.Fold((4, 5), 2, stride=(2, 1)), (2, 12, 8))


def test_pixel_shuffle_layers():
    _twin(nn.PixelShuffle(2), torch.nn.PixelShuffle(2), (2, 8, 3, 3))
    _twin(nn.PixelUnshuffle(3), torch.nn.PixelUnshuffle(3), (2, 2, 6, 3))


@pytest.mark.parametrize(
    "kw",
    [
        dict(scale_factor=2, mode="bilinear"),
        dict(size=(5, 7), mode="bilinear", align_corners=True),
        dict(scale_factor=(1.5, 2), mode="nearest-exact"),
        dict(size=(2, 3), mode="area"),
    ],
    ids=str,
)
def test_upsample_modes(kw):
    _twin(nn.Upsample(**kw), torch.nn.Upsample(**kw), (2, 3, 4, 5))


def test_upsample_linear_and_bilinear2d():
    _twin(
        nn.Upsample(scale_factor=3, mode="linear"),
        torch.nn.Upsample(scale_factor=3, mode="linear"),
        (2, 3, 4),
    )
    _twin(
        nn.UpsamplingBilinear2d(scale_factor=2),
        torch.nn.UpsamplingBilinear2d(scale_factor=2),
        (2, 3, 4, 5),
    )
    _twin(
        nn.UpsamplingBilinear2d(size=(3, 9)),
        torch.nn.UpsamplingBilinear2d(size=(3, 9)),
        (1, 2, 4, 5),
    )
    assert nn.UpsamplingBilinear2d(scale_factor=2).align_corners is True
