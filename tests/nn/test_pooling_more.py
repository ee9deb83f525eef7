"""MaxUnpool, LPPool, FractionalMaxPool2d, ChannelShuffle, CTCLoss and
TripletMarginWithDistanceLoss against their PyTorch twins: values, gradients, state_dict,
repr and errors."""

import numpy as np
import pytest
import torch
from layercheck import twin_check

import nerve
import nerve.nn as nn

rng = np.random.default_rng(0)


@pytest.mark.parametrize("args,shape", [
    (dict(norm_type=2, kernel_size=2), (2, 3, 6, 8)),
    (dict(norm_type=3, kernel_size=(2, 3), stride=(2, 1), ceil_mode=True), (2, 3, 7, 8)),
    (dict(norm_type=float("inf"), kernel_size=3, stride=2), (1, 2, 7, 7)),
])
def test_lppool2d(args, shape):
    x = (np.abs(rng.standard_normal(shape)) + 0.1).astype(np.float32)
    m, t = nn.LPPool2d(**args), torch.nn.LPPool2d(**args)
    twin_check(m, t, x)
    assert repr(m) == repr(t)


def test_lppool1d():
    x = (np.abs(rng.standard_normal((2, 3, 11))) + 0.1).astype(np.float32)
    m, t = nn.LPPool1d(1.5, 3, 2, ceil_mode=True), torch.nn.LPPool1d(1.5, 3, 2, ceil_mode=True)
    twin_check(m, t, x)
    assert repr(m) == repr(t)
    x64 = nerve.tensor(x.astype(np.float64))
    assert m(x64).dtype == nerve.float64


@pytest.mark.parametrize("dims", [1, 2])
def test_max_unpool_roundtrip(dims):
    shape = (2, 3, 10) if dims == 1 else (2, 3, 6, 8)
    x = rng.standard_normal(shape).astype(np.float32)
    pool, unpool = getattr(nn, f"MaxPool{dims}d"), getattr(nn, f"MaxUnpool{dims}d")
    tpool, tunpool = getattr(torch.nn, f"MaxPool{dims}d"), getattr(torch.nn, f"MaxUnpool{dims}d")
    p, u = pool(2, return_indices=True), unpool(2)
    tp, tu = tpool(2, return_indices=True), tunpool(2)
    assert repr(u) == repr(tu) and list(u.state_dict()) == []
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    size = shape[-dims:][:0] + tuple(n + 1 for n in shape[-dims:])
    y, yt = u(*p(xn), output_size=size), tu(*tp(xt), output_size=size)
    np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
    dy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    y.backward(nerve.tensor(dy))
    yt.backward(torch.from_numpy(dy))
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy())


def test_max_unpool_repr_args():
    assert repr(nn.MaxUnpool2d((2, 3), stride=1, padding=(0, 1))) == \
        repr(torch.nn.MaxUnpool2d((2, 3), stride=1, padding=(0, 1)))
    assert repr(nn.MaxUnpool1d(3, 2, 1)) == repr(torch.nn.MaxUnpool1d(3, 2, 1))


@pytest.mark.parametrize("kw", [dict(output_size=(4, 5)), dict(output_ratio=0.6),
                                dict(output_size=3, return_indices=True)])
def test_fractional_max_pool(kw):
    x = rng.standard_normal((2, 3, 9, 10)).astype(np.float32)
    s = rng.random((2, 3, 2)).astype(np.float32)
    m = nn.FractionalMaxPool2d(3, _random_samples=nerve.tensor(s), **kw)
    t = torch.nn.FractionalMaxPool2d(3, _random_samples=torch.from_numpy(s), **kw)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict()) == ["_random_samples"]
    y, yt = m(nerve.tensor(x)), t(torch.from_numpy(x))
    if kw.get("return_indices"):
        np.testing.assert_array_equal(y[1].numpy(), yt[1].numpy())
        y, yt = y[0], yt[0]
    np.testing.assert_array_equal(y.numpy(), yt.numpy())
    assert list(nn.FractionalMaxPool2d(2, output_size=2).state_dict()) == []


@pytest.mark.parametrize("kw", [{}, dict(output_size=2, output_ratio=0.5),
                                dict(output_ratio=1.5)])
def test_fractional_max_pool_errors(kw):
    with pytest.raises(ValueError):
        torch.nn.FractionalMaxPool2d(3, **kw)
    with pytest.raises(ValueError):
        nn.FractionalMaxPool2d(3, **kw)


def test_channel_shuffle():
    m, t = nn.ChannelShuffle(3), torch.nn.ChannelShuffle(3)
    assert repr(m) == repr(t)
    twin_check(m, t, (2, 6, 4, 3))
    twin_check(m, t, (2, 6, 5))
    x = nerve.randn(2, 6, 3)
    np.testing.assert_array_equal(nerve.nn.functional.native_channel_shuffle(x, 2).numpy(),
                                  torch.native_channel_shuffle(torch.from_numpy(x.numpy()),
                                                               2).numpy())
    for bad in (nerve.randn(2, 6), nerve.randn(2, 7, 3)):
        with pytest.raises(RuntimeError):
            m(bad)


@pytest.mark.parametrize("kw", [{}, dict(blank=2, reduction="sum"),
                                dict(reduction="none", zero_infinity=True)])
def test_ctc_loss(kw):
    t_len, n, c = 9, 3, 5
    x = rng.standard_normal((t_len, n, c)).astype(np.float32)
    blank = kw.get("blank", 0)
    tg = rng.integers(0, c - 1, (n, 4))
    tg[tg >= blank] += 1  # never the blank
    il, tl = np.array([9, 8, 2]), np.array([4, 3, 2])
    m, t = nn.CTCLoss(**kw), torch.nn.CTCLoss(**kw)
    assert repr(m) == repr(t) == "CTCLoss()"
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = m(nerve.nn.functional.log_softmax(xn, 2), tg, il, tl)
    yt = t(torch.log_softmax(xt, 2), torch.from_numpy(tg), torch.from_numpy(il),
           torch.from_numpy(tl))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5)
    if np.all(np.isfinite(yt.detach().numpy())):
        y.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_ctc_loss_bad_reduction():
    with pytest.raises(ValueError):
        nn.CTCLoss(reduction="avg")(nerve.randn(3, 1, 4).log_softmax(2), [[1]], [3], [1])


@pytest.mark.parametrize("kw", [{}, dict(margin=0.5, swap=True, reduction="sum"),
                                dict(reduction="none")])
def test_triplet_margin_with_distance(kw):
    a, p, q = (rng.standard_normal((5, 4)).astype(np.float32) for _ in range(3))
    m = nn.TripletMarginWithDistanceLoss(**kw)
    t = torch.nn.TripletMarginWithDistanceLoss(**kw)
    assert repr(m) == repr(t)
    ns = [nerve.tensor(v, requires_grad=True) for v in (a, p, q)]
    ts = [torch.tensor(v, requires_grad=True) for v in (a, p, q)]
    y, yt = m(*ns), t(*ts)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5)
    y.sum().backward()
    yt.sum().backward()
    for u, v in zip(ns, ts):
        np.testing.assert_allclose(u.grad.numpy(), v.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_triplet_custom_distance_and_errors():
    def cos(x, y):
        return 1 - nerve.nn.functional.cosine_similarity(x, y)

    def tcos(x, y):
        return 1 - torch.nn.functional.cosine_similarity(x, y)

    a, p, q = (rng.standard_normal((5, 4)).astype(np.float32) for _ in range(3))
    y = nerve.nn.functional.triplet_margin_with_distance_loss(
        *map(nerve.tensor, (a, p, q)), distance_function=cos, margin=0.3)
    yt = torch.nn.functional.triplet_margin_with_distance_loss(
        *map(torch.from_numpy, (a, p, q)), distance_function=tcos, margin=0.3)
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-5)
    with pytest.raises(ValueError):
        nn.TripletMarginWithDistanceLoss(margin=0)
    with pytest.raises(RuntimeError):
        nn.TripletMarginWithDistanceLoss()(nerve.tensor(a), nerve.tensor(p), nerve.tensor(q[0]))


def test_gumbel_softmax_statistics_and_straight_through():
    import nerve.nn.functional as F

    nerve.manual_seed(0)
    logits = nerve.tensor(np.log(np.array([[0.1, 0.2, 0.7]] * 20000, dtype=np.float32)))
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.numpy().sum(1), 1, rtol=1e-5)
    hard = F.gumbel_softmax(logits, hard=True)
    assert set(np.unique(hard.numpy())) <= {0.0, 1.0}
    # the argmax of logits + Gumbel noise is a draw from softmax(logits)
    np.testing.assert_allclose(hard.numpy().mean(0), [0.1, 0.2, 0.7], atol=0.015)
    x = nerve.tensor(rng.standard_normal((4, 5)).astype(np.float32), requires_grad=True)
    w = nerve.tensor(rng.standard_normal((4, 5)).astype(np.float32))
    nerve.manual_seed(1)
    (F.gumbel_softmax(x, tau=0.7, hard=True, dim=1) * w).sum().backward()
    g_hard = x.grad.numpy().copy()
    x.grad = None
    nerve.manual_seed(1)
    (F.gumbel_softmax(x, tau=0.7, dim=1) * w).sum().backward()
    np.testing.assert_allclose(g_hard, x.grad.numpy(), rtol=1e-6)  # straight-through


def test_small_functional_aliases():
    import nerve.nn.functional as F

    x = rng.standard_normal((2, 3)).astype(np.float32)
    t = nerve.tensor(x.copy())
    assert F.selu_(t) is t
    np.testing.assert_allclose(t.numpy(), torch.selu(torch.from_numpy(x)).numpy(), rtol=1e-6)
    np.testing.assert_allclose(F.pdist(nerve.tensor(x)).numpy(),
                               torch.pdist(torch.from_numpy(x)).numpy(), rtol=1e-6)
    img = rng.standard_normal((1, 2, 3, 3)).astype(np.float32)
    with pytest.warns(UserWarning):
        y = F.upsample(nerve.tensor(img), scale_factor=2, mode="bilinear", align_corners=False)
    with pytest.warns(UserWarning):
        yt = torch.nn.functional.upsample(torch.from_numpy(img), scale_factor=2,
                                          mode="bilinear", align_corners=False)
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-5, atol=1e-6)
