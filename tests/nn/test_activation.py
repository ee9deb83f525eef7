"""Activation layers against their torch.nn twins (train and eval), reprs and parameters."""

import numpy as np
import pytest
import torch
from layercheck import twin_check

import nerve
import nerve.nn as nn

PAIRS = [
    (nn.Sigmoid(), torch.nn.Sigmoid()),
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.ReLU6(), torch.nn.ReLU6()),
    (nn.LeakyReLU(), torch.nn.LeakyReLU()),
    (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
    (nn.PReLU(), torch.nn.PReLU()),
    (nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)),
    (nn.ELU(), torch.nn.ELU()),
    (nn.ELU(alpha=0.3), torch.nn.ELU(alpha=0.3)),
    (nn.SELU(), torch.nn.SELU()),
    (nn.GELU(), torch.nn.GELU()),
    (nn.GELU("tanh"), torch.nn.GELU("tanh")),
    (nn.Softplus(), torch.nn.Softplus()),
    (nn.Softplus(beta=2, threshold=3), torch.nn.Softplus(beta=2, threshold=3)),
    (nn.SiLU(), torch.nn.SiLU()),
    (nn.Mish(), torch.nn.Mish()),
    (nn.LogSigmoid(), torch.nn.LogSigmoid()),
    (nn.Hardtanh(), torch.nn.Hardtanh()),
    (nn.Hardtanh(-2.0, 0.5), torch.nn.Hardtanh(-2.0, 0.5)),
    (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
    (nn.Softmax(dim=-1), torch.nn.Softmax(dim=-1)),
    (nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
]


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: repr(p[0]))
@pytest.mark.parametrize("train", [True, False])
def test_against_torch(pair, train):
    twin_check(*pair, (4, 3, 5), train=train)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: repr(p[0]))
def test_repr_matches_torch(pair):
    assert repr(pair[0]) == repr(pair[1])


def test_inplace_repr_and_result():
    for m, t in [
        (nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
        (nn.LeakyReLU(0.1, inplace=True), torch.nn.LeakyReLU(0.1, inplace=True)),
        (nn.ELU(inplace=True), torch.nn.ELU(inplace=True)),
    ]:
        assert repr(m) == repr(t)
        x = nerve.tensor([-1.0, 2.0])
        np.testing.assert_allclose(m(x).numpy(), t(torch.tensor([-1.0, 2.0])).numpy())


def test_rrelu_eval_matches_torch_and_train_is_random():
    twin_check(nn.RReLU(), torch.nn.RReLU(), (4, 3), train=False)
    twin_check(nn.RReLU(0.1, 0.5), torch.nn.RReLU(0.1, 0.5), (4, 3), train=False)
    assert repr(nn.RReLU()) == repr(torch.nn.RReLU())
    m = nn.RReLU()
    x = nerve.tensor(-np.ones(1000, np.float32), requires_grad=True)
    y = m(x)
    y.sum().backward()
    slopes = -y.detach().numpy()
    assert 1 / 8 <= slopes.min() and slopes.max() <= 1 / 3 and slopes.std() > 0.03
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-6)  # dy/dx is the slope drawn


def test_prelu_parameter_is_learned_and_init():
    m = nn.PReLU(4, init=0.3)
    assert m.weight.shape == (4,) and np.allclose(m.weight.detach().numpy(), 0.3)
    assert list(m.state_dict()) == ["weight"]
    with pytest.raises(RuntimeError, match="channel size = 5"):
        m(nerve.ones(2, 5))


def test_crelu_doubles_channels():
    m = nn.CReLU()
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    y = m(nerve.tensor(x))
    ref = torch.cat([torch.relu(torch.from_numpy(x)), torch.relu(-torch.from_numpy(x))], 1)
    assert y.shape == (2, 6, 4)
    np.testing.assert_allclose(y.numpy(), ref.numpy())
    assert repr(m) == "CReLU(dim=1)"


def test_gelu_float32_large_inputs():
    x = nerve.tensor([-50.0, -6.0, 0.0, 6.0, 50.0], requires_grad=True)
    y = nn.GELU()(x)
    t = torch.tensor([-50.0, -6.0, 0.0, 6.0, 50.0], requires_grad=True)
    yt = torch.nn.GELU()(t)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-6)
