"""nerve.special against torch.special: every name, values, dtypes and gradients."""

import numpy as np
import pytest
import torch

import nerve
import nerve.special as S

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4))
POS = rng.uniform(0.6, 4.0, (3, 4))
PROB = rng.uniform(0.05, 0.95, (3, 4))

UNARY = {  # name -> input values
    "digamma": POS,
    "psi": POS,
    "entr": POS,
    "erf": X,
    "erfc": X,
    "erfcx": X,
    "erfinv": PROB * 2 - 1,
    "exp2": X,
    "expit": X,
    "expm1": X,
    "gammaln": POS,
    "i0": X,
    "i0e": X,
    "i1": X,
    "i1e": X,
    "log1p": POS,
    "log_ndtr": X * 4,
    "logit": PROB,
    "ndtr": X,
    "ndtri": PROB,
    "sinc": X,
}


def test_every_name_is_torchs():
    for name in S.__all__:
        assert hasattr(torch.special, name), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_dtypes_and_gradients(name, dtype):
    v = UNARY[name].astype(dtype)
    x = nerve.tensor(v, requires_grad=True)
    t = torch.tensor(v, requires_grad=True)
    y, ty = getattr(S, name)(x), getattr(torch.special, name)(t)
    assert y.dtype == np.dtype(dtype) and str(ty.dtype) == f"torch.{np.dtype(dtype)}"
    tol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    w = rng.standard_normal(v.shape).astype(dtype)
    (y * nerve.tensor(w)).sum().backward()
    (ty * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=tol * 10, atol=tol * 10)


@pytest.mark.parametrize("name", ["i0e", "i1", "ndtr", "gammaln", "expit", "entr", "erfcx"])
def test_integer_input_gives_torchs_dtype(name):
    y = getattr(S, name)(nerve.tensor([1, 2, 3]))
    ty = getattr(torch.special, name)(torch.tensor([1, 2, 3]))
    assert str(ty.dtype) == f"torch.{y.dtype}"


def test_functions_with_more_arguments():
    x, t = nerve.tensor(POS), torch.tensor(POS)
    cases = [
        (S.polygamma(2, x), torch.special.polygamma(2, t)),
        (S.multigammaln(x + 1, 3), torch.special.multigammaln(t + 1, 3)),
        (S.xlogy(x, x + 1), torch.special.xlogy(t, t + 1)),
        (S.xlogy(2.0, x), torch.special.xlogy(2.0, t)),
        (S.xlog1py(x, x), torch.special.xlog1py(t, t)),
        (S.logit(nerve.tensor(PROB), eps=0.1), torch.special.logit(torch.tensor(PROB), eps=0.1)),
        (S.round(x * 10, decimals=1), torch.special.round(t * 10, decimals=1)),
        (S.softmax(x, 1), torch.special.softmax(t, 1)),
        (S.log_softmax(x, 0), torch.special.log_softmax(t, 0)),
        (
            S.softmax(nerve.tensor([1, 2]), 0, dtype=nerve.float64),
            torch.special.softmax(torch.tensor([1, 2]), 0, dtype=torch.float64),
        ),
        (S.logsumexp(x, 1), torch.special.logsumexp(t, 1)),
        (S.logsumexp(x, (0, 1), keepdim=True), torch.special.logsumexp(t, (0, 1), keepdim=True)),
        (S.zeta(x + 1, x), torch.special.zeta(t + 1, t)),
        (S.zeta(2.0, x), torch.special.zeta(2.0, t)),
        (S.zeta(x + 1, 1.0), torch.special.zeta(t + 1, 1.0)),
        (S.modified_bessel_i0(x), torch.special.modified_bessel_i0(t)),
        (S.modified_bessel_i1(x), torch.special.modified_bessel_i1(t)),
    ]
    for ours, theirs in cases:
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert str(theirs.dtype) == f"torch.{ours.dtype}"
        np.testing.assert_allclose(ours.detach().numpy(), theirs.numpy(), rtol=1e-10)


def test_zeta_is_not_differentiable_and_needs_a_tensor():
    x = nerve.tensor([2.0, 3.0], requires_grad=True)
    assert not S.zeta(x, 1.0).requires_grad
    with pytest.raises(TypeError):
        S.zeta(2.0, 1.0)


def test_softmax_needs_dim_like_torch():
    with pytest.raises(TypeError):
        torch.special.softmax(torch.tensor([1.0]))
    with pytest.raises(TypeError):
        S.softmax(nerve.tensor([1.0]))


def test_out_is_refused():
    with pytest.raises(NotImplementedError):
        S.erf(nerve.tensor([1.0]), out=nerve.tensor([0.0]))


def test_reachable_from_the_top():
    assert nerve.special is S
