"""CTCLoss and TripletMarginWithDistanceLoss (nerve/nn/loss_ctc.py) against their
PyTorch twins: values, gradients, defaults and errors."""

import numpy as np
import pytest
import torch

import nerve
import nerve.nn as nn

rng = np.random.default_rng(0)


@pytest.mark.parametrize(
    "kw", [{}, dict(blank=2, reduction="sum"), dict(reduction="none", zero_infinity=True)]
)
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
    yt = t(
        torch.log_softmax(xt, 2), torch.from_numpy(tg), torch.from_numpy(il), torch.from_numpy(tl)
    )
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5)
    if np.all(np.isfinite(yt.detach().numpy())):
        y.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_ctc_loss_bad_reduction():
    with pytest.raises(ValueError):
        nn.CTCLoss(reduction="avg")(nerve.randn(3, 1, 4).log_softmax(2), [[1]], [3], [1])


@pytest.mark.parametrize(
    "kw", [{}, dict(margin=0.5, swap=True, reduction="sum"), dict(reduction="none")]
)
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
        *map(nerve.tensor, (a, p, q)), distance_function=cos, margin=0.3
    )
    yt = torch.nn.functional.triplet_margin_with_distance_loss(
        *map(torch.from_numpy, (a, p, q)), distance_function=tcos, margin=0.3
    )
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-5)
    with pytest.raises(ValueError):
        nn.TripletMarginWithDistanceLoss(margin=0)
    with pytest.raises(RuntimeError):
        nn.TripletMarginWithDistanceLoss()(nerve.tensor(a), nerve.tensor(p), nerve.tensor(q[0]))
