import math

import numpy as np
import pytest
import torch

import nerve
from nerve import nn


def _copy_from_torch(layer, tlayer):
    for name, p in tlayer.named_parameters():
        getattr(layer, name)._data[...] = p.detach().numpy()


def _compare(layer, tlayer, x, rtol=1e-4, atol=1e-5):
    _copy_from_torch(layer, tlayer)
    xn = nerve.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    y, yt = layer(xn), tlayer(xt)
    assert y.shape == tuple(yt.shape) and y.dtype == nerve.float32
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
    (y * nerve.tensor(g)).sum().backward()
    (yt * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    for name, p in tlayer.named_parameters():
        got = getattr(layer, name).grad
        assert isinstance(got, nerve.Tensor), name
        np.testing.assert_allclose(got.numpy(), p.grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


CONFIGS = [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(
        in_channels=3,
        out_channels=6,
        kernel_size=(3, 2),
        stride=(2, 1),
        padding=(1, 0),
        dilation=(1, 2),
        bias=False,
    ),
    dict(in_channels=4, out_channels=4, kernel_size=3, padding="same", groups=4),
    dict(in_channels=4, out_channels=6, kernel_size=2, padding="valid", groups=2),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="reflect"),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=(2, 1), padding_mode="circular"),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding="same", padding_mode="replicate"),
    dict(in_channels=5, out_channels=2, kernel_size=1),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: str(sorted(c.items())))
def test_conv2d_matches_torch(cfg):
    x = np.random.default_rng(0).standard_normal((2, cfg["in_channels"], 7, 6))
    _compare(nn.Conv2d(**cfg), torch.nn.Conv2d(**cfg), x.astype(np.float32))


@pytest.mark.parametrize(
    "cfg",
    [
        dict(in_channels=3, out_channels=4, kernel_size=3),
        dict(in_channels=4, out_channels=2, kernel_size=4, stride=2, padding=1, groups=2),
        dict(in_channels=2, out_channels=3, kernel_size=3, padding="same", dilation=2, bias=False),
        dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="circular"),
    ],
    ids=str,
)
def test_conv1d_matches_torch(cfg):
    x = np.random.default_rng(0).standard_normal((3, cfg["in_channels"], 10))
    _compare(nn.Conv1d(**cfg), torch.nn.Conv1d(**cfg), x.astype(np.float32))


def test_unbatched_input():
    x = np.random.default_rng(0).standard_normal((3, 6, 6)).astype(np.float32)
    _compare(nn.Conv2d(3, 2, 3), torch.nn.Conv2d(3, 2, 3), x)


def test_weight_shapes_and_state_dict_keys():
    conv = nn.Conv2d(6, 8, (3, 5), groups=2)
    assert conv.weight.shape == (8, 3, 3, 5) and conv.bias.shape == (8,)
    assert list(conv.state_dict()) == list(torch.nn.Conv2d(6, 8, (3, 5), groups=2).state_dict())
    assert list(nn.Conv1d(2, 3, 3, bias=False).state_dict()) == ["weight"]
    assert conv.weight.dtype == nerve.float32


def test_default_init_is_kaiming_uniform_a_sqrt5():
    nerve.manual_seed(0)
    conv = nn.Conv2d(16, 64, 3)
    bound = 1 / math.sqrt(16 * 9)
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-a, a) has standard deviation a/√3
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert abs(w.mean()) < 0.02 * bound


def test_load_torch_state_dict_gives_same_output():
    t = torch.nn.Conv2d(3, 5, 3, stride=2, padding=1)
    conv = nn.Conv2d(3, 5, 3, stride=2, padding=1)
    conv.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 9)).astype(np.float32)
    np.testing.assert_allclose(
        conv(nerve.from_numpy(x)).detach().numpy(),
        t(torch.from_numpy(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-5,
    )


def test_constructor_errors_are_value_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(4, 3, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(4, 3, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="invalid padding string"):
        nn.Conv2d(4, 3, 3, padding="full")


def test_forward_errors_name_the_layer():
    conv = nn.Conv2d(3, 4, 5)
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 4.*expected input with 3 channels"):
        conv(nerve.randn(1, 2, 8, 8))
    with pytest.raises(RuntimeError, match=r"input size 4.*\(W - K \+ 2P\)/S \+ 1"):
        conv(nerve.randn(1, 3, 4, 8))
    with pytest.raises(RuntimeError, match="expected 3D"):
        conv(nerve.randn(3, 8))


def test_repr():
    assert repr(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)) == repr(
        torch.nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
    )
    assert repr(nn.Conv1d(2, 4, 3, groups=2)) == repr(torch.nn.Conv1d(2, 4, 3, groups=2))
    for kw in (
        dict(padding="same"),
        dict(padding=(1, 2), padding_mode="reflect"),
        dict(dilation=2, groups=2),
    ):
        assert repr(nn.Conv2d(4, 4, 3, **kw)) == repr(torch.nn.Conv2d(4, 4, 3, **kw))
