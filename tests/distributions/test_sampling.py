"""Sample shapes and statistics (large draws from nerve's seeded generator), expand,
reproducibility under manual_seed, and rsample's graph."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.distributions as TD

import nerve
import nerve.distributions as D

N = 200_000


def t(x, dtype=nerve.float32):
    return nerve.tensor(np.asarray(x, dtype=np.float64), dtype=dtype)


def moments(dist, n=N):
    x = dist.sample((n,)).double().numpy()
    return x.mean(0), x.var(0)


CONTINUOUS = [
    ("normal", lambda: D.Normal(t([0.0, 3.0]), t([1.0, 0.5]))),
    ("uniform", lambda: D.Uniform(t([-1.0, 2.0]), t([1.0, 5.0]))),
    ("exponential", lambda: D.Exponential(t([0.5, 4.0]))),
    ("laplace", lambda: D.Laplace(t([1.0, -2.0]), t([0.5, 2.0]))),
    ("gamma", lambda: D.Gamma(t([0.3, 4.0]), t([1.0, 2.0]))),
    ("beta", lambda: D.Beta(t([0.5, 3.0]), t([2.0, 0.7]))),
    ("bernoulli", lambda: D.Bernoulli(probs=t([0.1, 0.7]))),
    ("bernoulli_logits", lambda: D.Bernoulli(logits=t([-2.0, 1.0]))),
    ("onehot", lambda: D.OneHotCategorical(probs=t([0.2, 0.5, 0.3]))),
]


@pytest.mark.parametrize("name,build", CONTINUOUS, ids=[n for n, _ in CONTINUOUS])
def test_sample_mean_and_variance(name, build):
    dist = build()
    mean, var = moments(dist)
    np.testing.assert_allclose(mean, dist.mean.double().numpy(), rtol=0.02, atol=0.01)
    np.testing.assert_allclose(var, dist.variance.double().numpy(), rtol=0.03, atol=0.01)


def test_categorical_frequencies():
    p = np.array([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]])
    x = D.Categorical(probs=t(p)).sample((N,)).numpy()
    assert x.dtype == np.int64 and x.shape == (N, 2)
    freq = np.stack([(x == k).mean(0) for k in range(3)], -1)
    np.testing.assert_allclose(freq, p, atol=0.005)
    assert not (x[:, 1] == 1).any()


def test_categorical_from_unnormalised_logits():
    x = D.Categorical(logits=t([0.0, np.log(3.0)])).sample((N,)).numpy()
    assert abs(x.mean() - 0.75) < 0.005


def test_mvn_sample_covariance():
    cov = np.array([[2.0, 0.6, 0.1], [0.6, 1.0, -0.3], [0.1, -0.3, 0.5]])
    dist = D.MultivariateNormal(t([1.0, -1.0, 0.0], nerve.float64), t(cov, nerve.float64))
    x = dist.sample((N,)).numpy()
    np.testing.assert_allclose(x.mean(0), [1.0, -1.0, 0.0], atol=0.01)
    np.testing.assert_allclose(np.cov(x.T), cov, atol=0.02)


SHAPES = [
    (lambda: D.Normal(t(np.zeros((2, 1))), t(np.ones(3))), (2, 3), ()),
    (lambda: D.Normal(0.0, 1.0), (), ()),
    (lambda: D.Bernoulli(0.3), (), ()),
    (lambda: D.Bernoulli(probs=t(np.full((4,), 0.3))), (4,), ()),
    (lambda: D.Categorical(logits=t(np.zeros((2, 3, 5)))), (2, 3), ()),
    (lambda: D.OneHotCategorical(logits=t(np.zeros((2, 5)))), (2,), (5,)),
    (lambda: D.MultivariateNormal(t(np.zeros((4, 3))), t(np.eye(3))), (4,), (3,)),
    (
        lambda: D.MultivariateNormal(t(np.zeros(3)), scale_tril=t(np.stack([np.eye(3)] * 2))),
        (2,),
        (3,),
    ),
    (lambda: D.Independent(D.Normal(t(np.zeros((2, 3, 4))), 1.0), 2), (2,), (3, 4)),
    (lambda: D.Uniform(t(np.zeros(2)), 1.0), (2,), ()),
    (lambda: D.Exponential(t(np.ones((2, 2)))), (2, 2), ()),
]


@pytest.mark.parametrize("build,batch,event", SHAPES)
def test_shapes(build, batch, event):
    dist = build()
    assert dist.batch_shape == batch and dist.event_shape == event
    assert isinstance(dist.batch_shape, nerve.Size)
    assert dist.sample().shape == batch + event
    x = dist.sample((5, 2))
    assert x.shape == (5, 2) + batch + event
    assert dist.log_prob(x).shape == (5, 2) + batch
    assert dist.entropy().shape == batch
    big = dist.expand((7,) + batch)
    assert big.batch_shape == (7,) + batch and big.event_shape == event
    assert big.sample((2,)).shape == (2, 7) + batch + event
    assert big.log_prob(x[:, :1]).shape == (5, 7) + batch


def test_expand_keeps_values_and_graph():
    loc = t([0.5, -1.0]).requires_grad_()
    d = D.Normal(loc, 2.0).expand((3, 2))
    assert d.loc.shape == (3, 2)
    d.log_prob(t(np.zeros((3, 2)))).sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), 3 * -np.array([0.5, -1.0]) / 4, rtol=1e-6)
    c = D.Categorical(logits=t([1.0, 2.0, 3.0])).expand((4,))
    assert c.batch_shape == (4,) and c.logits.shape == (4, 3)


def test_dtypes_follow_the_parameters():
    for dtype in (nerve.float32, nerve.float64):
        d = D.Normal(t([0.0], dtype), 1.0)
        assert d.scale.dtype == dtype and d.sample((3,)).dtype == dtype
        assert d.rsample().dtype == dtype and d.entropy().dtype == dtype
    assert D.Normal(0.0, 1.0).sample().dtype == nerve.float32
    assert D.Bernoulli(t([0.3], nerve.float64)).sample().dtype == nerve.float64
    assert D.OneHotCategorical(t([0.3, 0.7])).sample().dtype == nerve.float32


def test_manual_seed_reproduces_draws():
    d = D.Normal(t([0.0, 1.0]), t([1.0, 2.0]))
    nerve.manual_seed(3)
    a = d.sample((4,)).numpy().copy()
    nerve.manual_seed(3)
    np.testing.assert_array_equal(a, d.sample((4,)).numpy())


def test_sample_has_no_graph_rsample_has_one():
    loc = t([0.0, 1.0]).requires_grad_()
    d = D.Normal(loc, 1.0)
    assert not d.sample().requires_grad
    r = d.rsample((3,))
    assert r.requires_grad
    r.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [3.0, 3.0])


@pytest.mark.parametrize(
    "cls,args",
    [
        (D.Exponential, (t([1.0]).requires_grad_(),)),
        (D.Uniform, (t([0.0]).requires_grad_(), t([2.0]).requires_grad_())),
        (D.Laplace, (t([0.0]).requires_grad_(), t([2.0]).requires_grad_())),
        (D.MultivariateNormal, (t([0.0, 1.0]).requires_grad_(), t(np.eye(2)).requires_grad_())),
    ],
)
def test_rsample_differentiable(cls, args):
    x = cls(*args).rsample((10,))
    x.sum().backward()
    for a in args:
        assert a.grad is not None and np.isfinite(a.grad.numpy()).all()


def test_gamma_beta_have_no_rsample():
    # PyTorch reparameterises these implicitly; nerve does not (documented difference)
    for d in (D.Gamma(t([1.0]), t([1.0])), D.Beta(t([1.0]), t([1.0]))):
        assert not d.has_rsample
        with pytest.raises(NotImplementedError):
            d.rsample()


def test_has_rsample_flags_match_torch():
    pairs = [
        (D.Normal(0.0, 1.0), TD.Normal(0.0, 1.0)),
        (D.Bernoulli(0.5), TD.Bernoulli(0.5)),
        (D.Categorical(t([0.5, 0.5])), TD.Categorical(torch.tensor([0.5, 0.5]))),
        (
            D.Independent(D.Normal(t([0.0]), 1.0), 1),
            TD.Independent(TD.Normal(torch.tensor([0.0]), 1.0), 1),
        ),
    ]
    for a, b in pairs:
        assert a.has_rsample == b.has_rsample
        assert a.has_enumerate_support == b.has_enumerate_support


def test_enumerate_support_as_torch():
    a = D.Bernoulli(t([0.2, 0.4, 0.3])).enumerate_support()
    b = TD.Bernoulli(torch.tensor([0.2, 0.4, 0.3])).enumerate_support()
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    a = D.Categorical(t(np.ones((2, 3)))).enumerate_support(expand=False)
    b = TD.Categorical(torch.ones(2, 3)).enumerate_support(expand=False)
    assert a.shape == b.shape and a.dtype == nerve.int64
    a = D.OneHotCategorical(t(np.ones((2, 3)))).enumerate_support()
    b = TD.OneHotCategorical(torch.ones(2, 3)).enumerate_support()
    np.testing.assert_array_equal(a.numpy(), b.numpy())
