"""``inplace=True`` dropout writes into its input and returns it, as PyTorch's does."""

import numpy as np
import pytest
import torch

import nerve
import nerve.nn.functional as F
from nerve import nn


@pytest.mark.parametrize(
    "fn,shape",
    [
        (F.dropout, (6, 7)),
        (F.dropout2d, (2, 3, 4, 4)),
        (F.dropout1d, (2, 3, 5)),
        (F.alpha_dropout, (6, 7)),
        (F.feature_alpha_dropout, (2, 3, 4)),
    ],
)
def test_functional_inplace_writes_into_input(fn, shape):
    x = nerve.randn(*shape)
    before = x.numpy().copy()
    y = fn(x, 0.5, True, inplace=True)
    assert y is x
    assert not np.array_equal(x.numpy(), before)  # changed where it was dropped


def test_inplace_inside_graph_gives_the_mask_gradient():
    w = nerve.randn(5, 8, requires_grad=True)
    h = w * 3
    out = F.dropout(h, 0.4, True, inplace=True)
    assert out is h and h.grad_fn is not None
    (out * out).sum().backward()
    kept = h.detach().numpy() != 0
    expected = 2 * h.detach().numpy() * kept / 0.6 * 3
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-5)


def test_inplace_on_leaf_that_requires_grad_is_refused_like_torch():
    with pytest.raises(RuntimeError, match="leaf Variable"):
        torch.nn.functional.dropout(torch.ones(3, requires_grad=True), 0.5, True, True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.dropout(nerve.ones(3, requires_grad=True), 0.5, True, inplace=True)


def test_modules_pass_inplace_and_eval_is_identity():
    x = nerve.ones(4, 4)
    m = nn.Dropout(0.5, inplace=True)
    assert m(x) is x and (x.numpy() == 0).any()
    m.eval()
    z = nerve.ones(4, 4)
    assert m(z) is z and np.array_equal(z.numpy(), np.ones((4, 4), np.float32))
    assert repr(nn.Dropout2d(0.2, inplace=True)) == repr(torch.nn.Dropout2d(0.2, inplace=True))
