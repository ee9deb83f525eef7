"""Weight and spectral normalisation, the parametrization form and the older hook form,
against torch with the same weights (and the same u, v power-iteration vectors)."""

import numpy as np
import pytest
import torch
import torch.nn.utils.parametrizations as TP

import nerve
import nerve.nn as nn
import nerve.nn.utils.parametrizations as P
from tests.nn.layercheck import load_from_torch

pytestmark = pytest.mark.filterwarnings(
    "ignore:`(torch|nerve).nn.utils.weight_norm` is deprecated:FutureWarning"
)


def _grads_equal(m, tm, rtol=1e-4, atol=1e-5):
    tparams = dict(tm.named_parameters())
    assert [n for n, _ in m.named_parameters()] == list(tparams)
    for n, p in m.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, n
        np.testing.assert_allclose(
            p.grad.numpy(), tparams[n].grad.numpy(), rtol=rtol, atol=atol, err_msg=n
        )


def _run(m, tm, x, steps=1):
    """``steps`` forwards; backward of the last; outputs compared each time."""
    for _ in range(steps):
        y, yt = m(nerve.tensor(x)), tm(torch.tensor(x))
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    (y * y).sum().backward()
    (yt * yt).sum().backward()


def _layers(kind):
    if kind == "linear":
        return nn.Linear(5, 4), torch.nn.Linear(5, 4), (3, 5)
    if kind == "conv":
        return nn.Conv2d(2, 3, 3), torch.nn.Conv2d(2, 3, 3), (2, 2, 5, 5)
    return nn.ConvTranspose2d(3, 2, 3), torch.nn.ConvTranspose2d(3, 2, 3), (2, 3, 4, 4)


# ----- parametrizations.weight_norm ------------------------------------------------------


@pytest.mark.parametrize(
    "kind,dim",
    [("linear", 0), ("linear", 1), ("linear", None), ("conv", 0), ("conv", 1), ("conv", -2)],
)
def test_weight_norm_parametrization(kind, dim):
    m, tm, shape = _layers(kind)
    load_from_torch(m, tm)
    P.weight_norm(m, dim=dim)
    TP.weight_norm(tm, dim=dim)
    assert list(m.state_dict()) == list(tm.state_dict())
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[k].numpy(), v.numpy(), rtol=1e-6, err_msg=k)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    _run(m, tm, x)
    _grads_equal(m, tm)
    assert repr(m) == repr(tm)


def test_weight_norm_parametrization_loads_torch_state_and_removes():
    m, tm, shape = _layers("linear")
    P.weight_norm(m)
    TP.weight_norm(tm)
    with torch.no_grad():
        tm.parametrizations.weight.original0.mul_(3.0)
    load_from_torch(m, tm)
    np.testing.assert_allclose(m.weight.detach().numpy(), tm.weight.detach().numpy(), rtol=1e-6)
    nerve.nn.utils.parametrize.remove_parametrizations(m, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(tm, "weight")
    assert list(m.state_dict()) == list(tm.state_dict())
    np.testing.assert_allclose(m.weight.detach().numpy(), tm.weight.detach().numpy(), rtol=1e-6)


# ----- parametrizations.spectral_norm ----------------------------------------------------


@pytest.mark.parametrize("kind,n_iter", [("linear", 1), ("conv", 2), ("convt", 1)])
def test_spectral_norm_parametrization_power_iteration(kind, n_iter):
    torch.manual_seed(0)
    m, tm, shape = _layers(kind)
    TP.spectral_norm(tm, n_power_iterations=n_iter)
    P.spectral_norm(m, n_power_iterations=n_iter)
    keys = list(tm.state_dict())
    assert list(m.state_dict()) == keys
    assert "parametrizations.weight.0._u" in keys
    load_from_torch(m, tm)  # the same weight and the same u, v to start from
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    _run(m, tm, x, steps=4)
    _grads_equal(m, tm)
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(
            m.state_dict()[k].numpy(), v.numpy(), rtol=1e-4, atol=1e-6, err_msg=k
        )


def test_spectral_norm_parametrization_sigma_and_eval_mode():
    m = nn.Linear(6, 4)
    P.spectral_norm(m)  # 15 power iterations at registration
    for _ in range(30):
        w = m.weight
    s = np.linalg.svd(w.detach().numpy(), compute_uv=False)
    assert abs(s[0] - 1.0) < 1e-3
    m.eval()
    u = m.parametrizations.weight[0]._u.numpy().copy()
    m.parametrizations.weight.original.detach()._data[...] *= 0.5
    m.weight  # noqa: B018
    np.testing.assert_array_equal(m.parametrizations.weight[0]._u.numpy(), u)


def test_spectral_norm_parametrization_vector_and_errors():
    m, tm = nn.Linear(3, 3), torch.nn.Linear(3, 3)
    load_from_torch(m, tm)
    P.spectral_norm(m, "bias")
    TP.spectral_norm(tm, "bias")
    assert list(m.state_dict()) == list(tm.state_dict())
    np.testing.assert_allclose(m.bias.detach().numpy(), tm.bias.detach().numpy(), rtol=1e-6)
    with pytest.raises(IndexError, match="Dimension out of range"):
        P.spectral_norm(nn.Linear(3, 3), dim=2)
    with pytest.raises(ValueError, match="n_power_iterations"):
        P.spectral_norm(nn.Linear(3, 3), n_power_iterations=0)
    with pytest.raises(ValueError, match="no parameter or buffer with name 'w'"):
        P.spectral_norm(nn.Linear(3, 3), "w")


# ----- hook-based weight_norm ------------------------------------------------------------


@pytest.mark.parametrize("kind,dim", [("linear", 0), ("linear", None), ("conv", 1)])
def test_weight_norm_hook(kind, dim):
    m, tm, shape = _layers(kind)
    load_from_torch(m, tm)
    with pytest.warns(FutureWarning, match="deprecated"):
        nn.utils.weight_norm(m, dim=dim)
    torch.nn.utils.weight_norm(tm, dim=dim)
    assert list(m.state_dict()) == list(tm.state_dict())
    assert "weight_g" in m.state_dict() and "weight_v" in m.state_dict()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    _run(m, tm, x)
    _grads_equal(m, tm)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        nn.utils.weight_norm(m, dim=dim)
    nn.utils.remove_weight_norm(m)
    torch.nn.utils.remove_weight_norm(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    np.testing.assert_allclose(m.weight.detach().numpy(), tm.weight.detach().numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(m)


def test_weight_norm_hook_loads_torch_state():
    m, tm, shape = _layers("conv")
    nn.utils.weight_norm(m)
    torch.nn.utils.weight_norm(tm)
    load_from_torch(m, tm)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    _run(m, tm, x)


# ----- hook-based spectral_norm ----------------------------------------------------------


@pytest.mark.parametrize("kind,n_iter", [("linear", 1), ("conv", 3), ("convt", 1)])
def test_spectral_norm_hook_power_iteration(kind, n_iter):
    torch.manual_seed(0)
    m, tm, shape = _layers(kind)
    torch.nn.utils.spectral_norm(tm, n_power_iterations=n_iter)
    nn.utils.spectral_norm(m, n_power_iterations=n_iter)
    assert list(m.state_dict()) == list(tm.state_dict())
    assert list(m.state_dict())[-3:] == ["weight_orig", "weight_u", "weight_v"]
    load_from_torch(m, tm)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    _run(m, tm, x, steps=5)
    _grads_equal(m, tm)
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(
            m.state_dict()[k].numpy(), v.numpy(), rtol=1e-4, atol=1e-6, err_msg=k
        )
    m.eval()
    tm.eval()
    u = m.weight_u.numpy().copy()
    _run(m, tm, x, steps=2)
    np.testing.assert_array_equal(m.weight_u.numpy(), u)
    nn.utils.remove_spectral_norm(m)
    torch.nn.utils.remove_spectral_norm(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    np.testing.assert_allclose(
        m.weight.detach().numpy(), tm.weight.detach().numpy(), rtol=1e-5, atol=1e-7
    )
    assert isinstance(m.weight, nn.Parameter)


def test_spectral_norm_hook_errors():
    m = nn.Linear(3, 3)
    nn.utils.spectral_norm(m)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(m)
    with pytest.raises(ValueError, match="spectral_norm of 'bias' not found"):
        nn.utils.remove_spectral_norm(m, "bias")
    with pytest.raises(ValueError, match="n_power_iterations"):
        nn.utils.spectral_norm(nn.Linear(3, 3), n_power_iterations=0)
