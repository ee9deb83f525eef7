"""nerve.nn.utils.parametrize and parametrizations.orthogonal against torch's, with the
same weights: values, gradients w.r.t. the originals, state_dict keys, repr, removal."""

import numpy as np
import pytest
import torch
import torch.nn.utils.parametrizations as TP
import torch.nn.utils.parametrize as TZ

import nerve
import nerve.nn as nn
import nerve.nn.utils.parametrizations as P
import nerve.nn.utils.parametrize as Z
from tests.nn.layercheck import load_from_torch


class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT


class TSymmetric(torch.nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT


class Scale(nn.Module):
    """w = 2·x, with a right inverse."""

    def forward(self, x):
        return x * 2.0

    def right_inverse(self, w):
        return w / 2.0


class TScale(torch.nn.Module):
    def forward(self, x):
        return x * 2.0

    def right_inverse(self, w):
        return w / 2.0


class Split(nn.Module):
    """w = a + b, right_inverse splits w into (w/2, w/2): two originals."""

    def forward(self, a, b):
        return a + b

    def right_inverse(self, w):
        return w * 0.25, w * 0.75


class TSplit(torch.nn.Module):
    def forward(self, a, b):
        return a + b

    def right_inverse(self, w):
        return w * 0.25, w * 0.75


def _check_twin(m, tm, x_shape=(5, 4), seed=0):
    """Forward and gradients w.r.t. every parameter (the originals) equal torch's."""
    load_from_torch(m, tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    x = np.random.default_rng(seed).standard_normal(x_shape).astype(np.float32)
    y, yt = m(nerve.tensor(x)), tm(torch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    tparams = dict(tm.named_parameters())
    names = [n for n, _ in m.named_parameters()]
    assert names == list(tparams)
    for n, p in m.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), tparams[n].grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=n
        )


def test_register_without_right_inverse():
    m, tm = nn.Linear(4, 4), torch.nn.Linear(4, 4)
    Z.register_parametrization(m, "weight", Symmetric())
    TZ.register_parametrization(tm, "weight", TSymmetric())
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert repr(m) == repr(tm).replace("TSymmetric", "Symmetric")
    assert type(m).__name__ == "ParametrizedLinear"
    assert Z.type_before_parametrizations(m) is nn.Linear
    assert Z.is_parametrized(m) and Z.is_parametrized(m, "weight")
    assert not Z.is_parametrized(m, "bias")
    _check_twin(m, tm)
    w = m.weight.detach().numpy()
    np.testing.assert_array_equal(w, w.T)
    assert "weight" not in m._parameters


def test_original_keeps_identity_and_right_inverse_on_registration():
    m, tm = nn.Linear(4, 3), torch.nn.Linear(4, 3)
    load_from_torch(m, tm)
    w0 = m.weight
    Z.register_parametrization(m, "weight", Scale())
    TZ.register_parametrization(tm, "weight", TScale())
    assert m.parametrizations.weight.original is w0  # an optimizer holding it still works
    np.testing.assert_allclose(m.weight.detach().numpy(), tm.weight.detach().numpy())
    np.testing.assert_allclose(
        m.parametrizations.weight.original.detach().numpy(),
        tm.parametrizations.weight.original.detach().numpy(),
    )
    _check_twin(m, tm, (2, 4))


def test_assignment_goes_through_right_inverse():
    m, tm = nn.Linear(3, 3), torch.nn.Linear(3, 3)
    Z.register_parametrization(m, "weight", Scale())
    TZ.register_parametrization(tm, "weight", TScale())
    value = np.arange(9, dtype=np.float32).reshape(3, 3)
    m.weight = nerve.tensor(value)
    with torch.no_grad():
        tm.weight = torch.tensor(value)
    np.testing.assert_allclose(
        m.parametrizations.weight.original.detach().numpy(),
        tm.parametrizations.weight.original.detach().numpy(),
    )
    np.testing.assert_allclose(m.weight.detach().numpy(), value)


def test_assignment_without_right_inverse_raises():
    m = nn.Linear(3, 3)
    Z.register_parametrization(m, "weight", Symmetric())
    with pytest.raises(RuntimeError, match="Symmetric does not implement right_inverse"):
        m.weight = nerve.zeros(3, 3)


def test_tuple_right_inverse_gives_original0_original1():
    m, tm = nn.Linear(4, 3), torch.nn.Linear(4, 3)
    Z.register_parametrization(m, "weight", Split())
    TZ.register_parametrization(tm, "weight", TSplit())
    keys = ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert list(m.state_dict()) == keys == list(tm.state_dict())
    _check_twin(m, tm, (2, 4))


def test_chained_parametrizations():
    m, tm = nn.Linear(4, 4), torch.nn.Linear(4, 4)
    Z.register_parametrization(m, "weight", Symmetric())
    Z.register_parametrization(m, "weight", Scale())
    TZ.register_parametrization(tm, "weight", TSymmetric())
    TZ.register_parametrization(tm, "weight", TScale())
    assert repr(m) == repr(tm).replace("TS", "S")
    _check_twin(m, tm)


def test_buffer_parametrization():
    m, tm = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    Z.register_parametrization(m, "running_var", Scale())
    TZ.register_parametrization(tm, "running_var", TScale())
    assert list(m.state_dict()) == list(tm.state_dict())
    np.testing.assert_allclose(m.running_var.numpy(), tm.running_var.numpy())


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    m, tm = nn.Linear(3, 3), torch.nn.Linear(3, 3)
    load_from_torch(m, tm)
    Z.register_parametrization(m, "weight", Symmetric())
    TZ.register_parametrization(tm, "weight", TSymmetric())
    original = m.parametrizations.weight.original
    Z.remove_parametrizations(m, "weight", leave_parametrized=leave)
    TZ.remove_parametrizations(tm, "weight", leave_parametrized=leave)
    assert type(m) is nn.Linear and not hasattr(m, "parametrizations")
    assert m.weight is original and isinstance(m.weight, nn.Parameter)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(m.weight.detach().numpy(), tm.weight.detach().numpy())
    assert repr(m) == repr(tm)


def test_remove_tuple_parametrization():
    m = nn.Linear(3, 2)
    w = m.weight.detach().numpy().copy()
    Z.register_parametrization(m, "weight", Split())
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        Z.remove_parametrizations(m, "weight", leave_parametrized=False)
    Z.remove_parametrizations(m, "weight")
    np.testing.assert_allclose(m.weight.detach().numpy(), w, rtol=1e-6)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad


def test_remove_one_of_two_keeps_class():
    m = nn.Linear(3, 3)
    Z.register_parametrization(m, "weight", Symmetric())
    Z.register_parametrization(m, "bias", Scale())
    Z.remove_parametrizations(m, "weight")
    assert type(m).__name__ == "ParametrizedLinear" and Z.is_parametrized(m, "bias")
    assert not Z.is_parametrized(m, "weight")
    Z.remove_parametrizations(m, "bias")
    assert type(m) is nn.Linear


def test_errors_as_torch():
    m = nn.Linear(3, 3)
    with pytest.raises(
        ValueError,
        match="does not have a parameter, a buffer, or a parametrized element with name 'foo'",
    ):
        Z.register_parametrization(m, "foo", Symmetric())
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        Z.remove_parametrizations(m, "weight")

    class Shrink(nn.Module):
        def forward(self, x):
            return x[:1]

    with pytest.raises(ValueError, match="may not change the shape"):
        Z.register_parametrization(nn.Linear(3, 3), "weight", Shrink())
    Z.register_parametrization(nn.Linear(3, 3), "weight", Shrink(), unsafe=True)


def test_cached_computes_once():
    calls = []

    class Counting(Symmetric):
        def forward(self, x):
            calls.append(1)
            return super().forward(x)

    m = nn.Linear(3, 3)
    Z.register_parametrization(m, "weight", Counting())
    calls.clear()
    with Z.cached():
        a, b = m.weight, m.weight
    assert a is b and len(calls) == 1
    m.weight  # noqa: B018 - outside the block the cache is gone
    assert len(calls) == 2


def test_load_torch_state_dict_and_train_step():
    tm = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    m = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 2))
    TZ.register_parametrization(tm[0], "weight", TSymmetric())
    Z.register_parametrization(m[0], "weight", Symmetric())
    _check_twin(m, tm)
    opt, topt = nerve.optim.SGD(m.parameters(), lr=0.1), torch.optim.SGD(tm.parameters(), lr=0.1)
    opt.step()
    topt.step()
    np.testing.assert_allclose(
        m[0].weight.detach().numpy(), tm[0].weight.detach().numpy(), rtol=1e-5, atol=1e-6
    )


# ----- orthogonal ---------------------------------------------------------------------


def _orth_error(w: np.ndarray) -> float:
    if w.shape[0] < w.shape[1]:
        w = w.T
    return float(np.abs(w.T @ w - np.eye(w.shape[1])).max())


@pytest.mark.parametrize(
    "shape,orth_map",
    [
        ((4, 4), None),
        ((5, 3), None),
        ((3, 5), None),
        ((4, 4), "cayley"),
        ((5, 3), "matrix_exp"),
        ((3, 5), "cayley"),
        ((4, 4), "householder"),
    ],
)
def test_orthogonal_against_torch(shape, orth_map):
    torch.manual_seed(0)
    tm = torch.nn.Linear(shape[1], shape[0]).double()
    m = nn.Linear(shape[1], shape[0]).double()
    TP.orthogonal(tm, orthogonal_map=orth_map)
    P.orthogonal(m, orthogonal_map=orth_map)
    assert list(m.state_dict()) == list(tm.state_dict())
    assert list(dict(m.named_buffers())) == ["parametrizations.weight.0.base"]
    # move original off −I so the map itself (not only the base) is exercised
    with torch.no_grad():
        tm.parametrizations.weight.original.add_(
            0.3 * torch.randn(shape, dtype=torch.float64).tril(-1)
        )
    load_from_torch(m, tm)
    w = m.weight.detach().numpy()
    assert _orth_error(w) < 1e-10
    np.testing.assert_allclose(w, tm.weight.detach().numpy(), rtol=1e-7, atol=1e-9)
    x = np.random.default_rng(1).standard_normal((2, shape[1]))
    y, yt = m(nerve.tensor(x)), tm(torch.tensor(x))
    (y**3).sum().backward()
    (yt**3).sum().backward()
    np.testing.assert_allclose(
        m.parametrizations.weight.original.grad.numpy(),
        tm.parametrizations.weight.original.grad.numpy(),
        rtol=1e-6,
        atol=1e-9,
    )


@pytest.mark.parametrize("shape", [(4, 4), (6, 3)])
def test_orthogonal_registration_keeps_an_orthogonalised_weight(shape):
    m = nn.Linear(shape[1], shape[0])
    w0 = m.weight.detach().numpy().copy()
    P.orthogonal(m)
    w = m.weight.detach().numpy()
    assert m.weight.dtype == nerve.float32 and _orth_error(w) < 1e-5
    q, r = np.linalg.qr(w0)
    np.testing.assert_allclose(w, q * np.sign(np.diag(r)), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(
        m.parametrizations.weight.original.detach().numpy(), -np.eye(*shape, dtype=np.float32)
    )


def test_orthogonal_trains_and_stays_orthogonal():
    nerve.manual_seed(0)
    m = nn.Linear(6, 4).double()
    P.orthogonal(m)
    opt = nerve.optim.Adam(m.parameters(), lr=0.05)
    rng = np.random.default_rng(0)
    x = nerve.tensor(rng.standard_normal((32, 6)))
    target = nerve.tensor(rng.standard_normal((32, 4)))
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = ((m(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0]
    assert _orth_error(m.weight.detach().numpy()) < 1e-10


def test_orthogonal_without_trivialization_householder():
    torch.manual_seed(0)
    tm = torch.nn.Linear(3, 5).double()
    m = nn.Linear(3, 5).double()
    load_from_torch(m, tm)
    TP.orthogonal(tm, orthogonal_map="householder", use_trivialization=False)
    P.orthogonal(m, orthogonal_map="householder", use_trivialization=False)
    assert list(m.state_dict()) == list(tm.state_dict())
    np.testing.assert_allclose(m.weight.detach().numpy(), tm.weight.detach().numpy(), atol=1e-10)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        P.orthogonal(nn.Linear(3, 3), use_trivialization=False)


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        P.orthogonal(nn.Linear(3, 3), "bias")
    with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
        P.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'w'"):
        P.orthogonal(nn.Linear(3, 3), "w")


def test_deepcopy_of_a_parametrized_module():
    import copy

    m = nn.Linear(3, 3)
    P.spectral_norm(m)
    c = copy.deepcopy(m)
    assert type(c) is type(m) and c.parametrizations is not m.parametrizations
    assert c.parametrizations.weight.original is not m.parametrizations.weight.original
    np.testing.assert_array_equal(c.weight.detach().numpy(), m.weight.detach().numpy())
    assert list(c.state_dict()) == list(m.state_dict())


def test_assigning_a_parameter_to_a_parametrized_name_raises_keyerror_like_torch():
    class Sym(nerve.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).T

    m = nerve.nn.Linear(3, 3)
    Z.register_parametrization(m, "weight", Sym())
    with pytest.raises(KeyError, match="already exists"):
        m.weight = nerve.nn.Parameter(nerve.zeros(3, 3))
