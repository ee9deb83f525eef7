"""F.gumbel_softmax's statistics and straight-through gradient, and the small functional
aliases, against PyTorch."""

import numpy as np
import pytest
import torch

import nerve

rng = np.random.default_rng(0)


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
    np.testing.assert_allclose(
        F.pdist(nerve.tensor(x)).numpy(), torch.pdist(torch.from_numpy(x)).numpy(), rtol=1e-6
    )
    img = rng.standard_normal((1, 2, 3, 3)).astype(np.float32)
    with pytest.warns(UserWarning):
        y = F.upsample(nerve.tensor(img), scale_factor=2, mode="bilinear", align_corners=False)
    with pytest.warns(UserWarning):
        yt = torch.nn.functional.upsample(
            torch.from_numpy(img), scale_factor=2, mode="bilinear", align_corners=False
        )
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-5, atol=1e-6)
