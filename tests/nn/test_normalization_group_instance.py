"""GroupNorm, InstanceNorm1d/2d and LocalResponseNorm against torch.nn (outputs, gradients,
running statistics, state_dict keys, repr, errors), and the BatchNorm/LayerNorm corners:
momentum=None, no running statistics, no affine, float64, channels-last input."""

import warnings

import numpy as np
import pytest
import torch
from layercheck import load_from_torch, twin_check

import nerve
import nerve.nn as nn


def _randomize(t):
    with torch.no_grad():
        for p in t.parameters():
            p.uniform_(0.5, 1.5)


@pytest.mark.parametrize(
    "args,kw,shape",
    [
        ((2, 4), {}, (3, 4, 5)),
        ((1, 3), dict(affine=False), (2, 3, 2, 2)),
        ((3, 6), dict(eps=1e-3), (2, 6, 3, 3)),
        ((2, 4), dict(bias=False), (5, 4)),
        ((4, 4), {}, (2, 4, 6)),
    ],
)
def test_groupnorm_against_torch(args, kw, shape):
    m, t = nn.GroupNorm(*args, **kw), torch.nn.GroupNorm(*args, **kw)
    _randomize(t)
    twin_check(m, t, shape, train=True)
    twin_check(m, t, shape, train=False, copy=False, seed=1)
    assert repr(m) == repr(t)


def test_groupnorm_defaults_and_errors():
    m = nn.GroupNorm(2, 4)
    assert np.all(m.weight.detach().numpy() == 1) and np.all(m.bias.detach().numpy() == 0)
    assert m.weight.dtype == nerve.float32 and list(m.state_dict()) == ["weight", "bias"]
    assert nn.GroupNorm(2, 4, dtype=nerve.float64).weight.dtype == nerve.float64
    assert list(nn.GroupNorm(2, 4, affine=False).state_dict()) == []
    with pytest.raises(ValueError, match=r"num_channels \(4\).*num_groups \(3\)"):
        nn.GroupNorm(3, 4)
    with pytest.raises(RuntimeError, match=r"group_norm.*size 6.*\[2, 6, 3\].*\[4\]"):
        nn.GroupNorm(2, 4)(nerve.zeros(2, 6, 3))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        nn.GroupNorm(2, 4)(nerve.zeros(4))


def test_groupnorm_channels_last_conv_output():
    conv, tconv = nn.Conv2d(2, 4, 3), torch.nn.Conv2d(2, 4, 3)
    load_from_torch(conv, tconv)
    gn, tgn = nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)
    _randomize(tgn)
    load_from_torch(gn, tgn)
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 6)).astype(np.float32)
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = gn(conv(xn)), tgn(tconv(xt))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(
        gn.weight.grad.numpy(), tgn.weight.grad.numpy(), rtol=1e-3, atol=1e-4
    )


IN_KW = [
    dict(),
    dict(affine=True),
    dict(track_running_stats=True),
    dict(affine=True, track_running_stats=True, momentum=0.3),
    dict(track_running_stats=True, momentum=None),
    dict(affine=True, bias=False),
]


@pytest.mark.parametrize("kw", IN_KW, ids=str)
@pytest.mark.parametrize(
    "cls,shape",
    [
        ("InstanceNorm1d", (4, 3, 5)),
        ("InstanceNorm1d", (3, 6)),
        ("InstanceNorm2d", (2, 3, 4, 4)),
        ("InstanceNorm2d", (3, 4, 5)),
    ],
)
def test_instancenorm_train_then_eval(cls, shape, kw):
    m, t = getattr(nn, cls)(3, **kw), getattr(torch.nn, cls)(3, **kw)
    _randomize(t)
    load_from_torch(m, t)
    for seed in range(3):  # running statistics accumulate over steps
        twin_check(m, t, shape, train=True, copy=False, seed=seed)
    twin_check(m, t, shape, train=False, copy=False, seed=7)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    if m.num_batches_tracked is not None:  # PyTorch never counts for instance norm
        assert int(m.num_batches_tracked.item()) == 0


def test_instancenorm_defaults_and_errors():
    m = nn.InstanceNorm2d(3)
    assert m.weight is None and m.running_mean is None and list(m.state_dict()) == []
    assert not m.affine and not m.track_running_stats and m.momentum == 0.1
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.InstanceNorm1d(3)(nerve.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match="expected 3D or 4D input"):
        nn.InstanceNorm2d(3)(nerve.zeros(3, 4))
    with pytest.raises(ValueError, match="dim=1 to match num_features \\(3\\).*got: 4"):
        nn.InstanceNorm1d(3, affine=True)(nerve.zeros(2, 4, 5))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        nn.InstanceNorm1d(3)(nerve.zeros(2, 3, 1))
    with warnings.catch_warnings(record=True) as caught:  # affine=False: only a warning
        warnings.simplefilter("always")
        y = nn.InstanceNorm1d(3)(nerve.randn(2, 4, 5))
    assert y.shape == (2, 4, 5) and "num_features" in str(caught[0].message)
    m = nn.InstanceNorm1d(3, track_running_stats=True).eval()
    m(nerve.zeros(2, 3, 1))  # evaluation with running statistics needs no spatial extent


@pytest.mark.parametrize("args", [(3,), (2, 1e-3, 0.5, 2.0), (5, 0.1, 0.9, 1.5), (1,)])
@pytest.mark.parametrize("shape", [(2, 4, 5), (2, 6, 3, 3)])
def test_local_response_norm_against_torch(args, shape):
    m, t = nn.LocalResponseNorm(*args), torch.nn.LocalResponseNorm(*args)
    twin_check(m, t, shape)
    assert repr(m) == repr(t) and list(m.state_dict()) == []


def test_local_response_norm_rejects_2d():
    with pytest.raises(ValueError, match="3D or higher"):
        nn.LocalResponseNorm(2)(nerve.zeros(2, 3))


# ----- BatchNorm and LayerNorm corners ------------------------------------------------
@pytest.mark.parametrize(
    "kw",
    [
        dict(momentum=None),
        dict(track_running_stats=False),
        dict(affine=False, track_running_stats=False),
        dict(affine=False, momentum=None),
    ],
    ids=str,
)
def test_batchnorm2d_modes_train_eval_alternating(kw):
    m, t = nn.BatchNorm2d(3, **kw), torch.nn.BatchNorm2d(3, **kw)
    _randomize(t)
    load_from_torch(m, t)
    for seed in range(5):
        twin_check(m, t, (2, 3, 3, 3), train=seed % 2 == 0, copy=False, seed=seed)
    if m.num_batches_tracked is not None:
        assert m.num_batches_tracked.item() == t.num_batches_tracked.item() == 3


def test_batchnorm_float64_and_state_dict_round_trip():
    m = nn.BatchNorm2d(3, dtype=nerve.float64)
    t = torch.nn.BatchNorm2d(3, dtype=torch.float64)
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
    twin_check(m, t, x, train=True)
    twin_check(m, t, x, train=False, copy=False)
    state = m.state_dict()
    assert state["num_batches_tracked"].dtype == nerve.int64
    assert [(k, tuple(v.shape)) for k, v in state.items()] == [
        (k, tuple(v.shape)) for k, v in t.state_dict().items()
    ]
    fresh = nn.BatchNorm2d(3, dtype=nerve.float64)
    fresh.load_state_dict(state)
    assert int(fresh.num_batches_tracked.item()) == 1


def test_batchnorm_channels_last_conv_output():
    conv, tconv = nn.Conv2d(2, 3, 3), torch.nn.Conv2d(2, 3, 3)
    load_from_torch(conv, tconv)
    bn, tbn = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    x = np.random.default_rng(2).standard_normal((2, 2, 6, 6)).astype(np.float32)
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = bn(conv(xn)), tbn(tconv(xt))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(bn.running_var.numpy(), tbn.running_var.numpy(), rtol=1e-5)


@pytest.mark.parametrize("kw", [dict(), dict(bias=False), dict(elementwise_affine=False)], ids=str)
def test_layernorm_keys_repr_float64(kw):
    m, t = nn.LayerNorm((3, 4), **kw), torch.nn.LayerNorm((3, 4), **kw)
    assert list(m.state_dict()) == list(t.state_dict()) and repr(m) == repr(t)
    _randomize(t)
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    m64 = nn.LayerNorm((3, 4), dtype=nerve.float64, **kw)
    twin_check(m64, t.double(), x)
