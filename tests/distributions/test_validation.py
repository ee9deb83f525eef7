"""validate_args: bad parameters and out-of-support values raise ValueError as in torch;
constructor errors; repr; register_kl dispatch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.distributions as TD

import nerve
import nerve.distributions as D


def t(x):
    return nerve.tensor(np.asarray(x, dtype=np.float32))


BAD_PARAMS = [
    (lambda m, t: m.Normal(t([0.0, 1.0]), t([1.0, -1.0])), "scale"),
    (lambda m, t: m.Normal(t([float("nan")]), t([1.0])), "loc"),
    (lambda m, t: m.Exponential(t([0.0])), "rate"),
    (lambda m, t: m.Laplace(t([0.0]), t([0.0])), "scale"),
    (lambda m, t: m.Gamma(t([-1.0]), t([1.0])), "concentration"),
    (lambda m, t: m.Beta(t([1.0]), t([0.0])), "concentration0"),
    (lambda m, t: m.Bernoulli(probs=t([1.5])), "probs"),
    (lambda m, t: m.Categorical(probs=t([-0.5, 1.5])), "probs"),
    (
        lambda m, t: m.MultivariateNormal(t([0.0, 0.0]), t([[1.0, 2.0], [2.0, 1.0]])),
        "covariance_matrix",
    ),
    (
        lambda m, t: m.MultivariateNormal(t([0.0, 0.0]), scale_tril=t([[1.0, 1.0], [0.0, 1.0]])),
        "scale_tril",
    ),
]


@pytest.mark.parametrize("build,param", BAD_PARAMS)
def test_bad_parameters_raise_value_error_as_torch(build, param):
    with pytest.raises(ValueError, match="Expected parameter "):  # torch's Beta names
        build(TD, lambda x: torch.tensor(x, dtype=torch.float32))
    with pytest.raises(ValueError, match=f"Expected parameter {param} .*to satisfy the constraint"):
        build(D, t)


def test_validate_args_false_skips_checks():
    d = D.Normal(t([0.0]), t([-1.0]), validate_args=False)
    assert np.isnan(d.log_prob(t([0.0])).numpy()).all()


def test_uniform_low_not_below_high():
    with pytest.raises(ValueError, match="Uniform is not defined when low>= high"):
        D.Uniform(t([1.0]), t([1.0]))


BAD_VALUES = [
    (lambda m, t: m.Exponential(t([1.0])), [-1.0]),
    (lambda m, t: m.Bernoulli(t([0.5])), [0.5]),
    (lambda m, t: m.Categorical(t([0.5, 0.5])), [2.0]),
    (lambda m, t: m.Beta(t([1.0]), t([1.0])), [1.5]),
    (lambda m, t: m.Uniform(t([0.0]), t([1.0])), [2.0]),
    (lambda m, t: m.OneHotCategorical(t([0.5, 0.5])), [1.0, 1.0]),
]


@pytest.mark.parametrize("build,value", BAD_VALUES)
def test_values_outside_the_support(build, value):
    tt = lambda x: torch.tensor(x, dtype=torch.float32)  # noqa: E731
    with pytest.raises(ValueError, match="to be within the support"):
        build(TD, tt).log_prob(tt(value))
    with pytest.raises(ValueError, match="to be within the support"):
        build(D, t).log_prob(t(value))


def test_value_shape_and_type_errors():
    d = D.Normal(t([0.0, 1.0]), t([1.0, 1.0]))
    with pytest.raises(ValueError, match="not broadcastable with batch_shape"):
        d.log_prob(t([0.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="must be a Tensor"):
        d.log_prob([1.0])
    with pytest.raises(ValueError, match="right-most size of value must match event_shape"):
        D.MultivariateNormal(t([0.0, 0.0]), t(np.eye(2))).log_prob(t([0.0, 0.0, 0.0]))


def test_constructor_argument_errors():
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Bernoulli()
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Categorical(probs=t([0.5, 0.5]), logits=t([0.0, 0.0]))
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix"):
        D.MultivariateNormal(t([0.0]), t([[1.0]]), scale_tril=t([[1.0]]))
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        D.Independent(D.Normal(t([0.0]), 1.0), 2)


def test_set_default_validate_args():
    D.Distribution.set_default_validate_args(False)
    try:
        D.Normal(0.0, -1.0)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(0.0, -1.0)


def test_repr_like_torch():
    assert repr(D.Normal(0.0, 1.0)) == repr(TD.Normal(0.0, 1.0))
    assert (
        repr(D.Normal(t([0.0, 1.0]), 1.0)) == "Normal(loc: nerve.Size([2]), scale: nerve.Size([2]))"
    )
    assert repr(D.Categorical(logits=t([0.0, 1.0]))) == "Categorical(logits: nerve.Size([2]))"
    assert repr(D.Independent(D.Normal(0.0, 1.0).expand((3,)), 1)).startswith("Independent(")


def test_bernoulli_mode_and_categorical_moments():
    p = [0.2, 0.5, 0.9]
    np.testing.assert_array_equal(
        D.Bernoulli(t(p)).mode.numpy(), TD.Bernoulli(torch.tensor(p)).mode.numpy()
    )
    c = D.Categorical(t([[0.2, 0.8], [0.6, 0.4]]))
    assert np.isnan(c.mean.numpy()).all() and c.mean.shape == (2,)
    np.testing.assert_array_equal(c.mode.numpy(), [1, 0])
    assert np.isnan(D.Uniform(0.0, 1.0).mode.numpy())


def test_register_kl_and_dispatch():
    class MyNormal(D.Normal):
        pass

    p, q = MyNormal(t([0.0]), t([1.0])), D.Normal(t([1.0]), t([2.0]))
    base = D.kl_divergence(D.Normal(t([0.0]), t([1.0])), q)
    np.testing.assert_allclose(D.kl_divergence(p, q).numpy(), base.numpy())  # via the base

    @D.register_kl(MyNormal, D.Normal)
    def _kl(a, b):
        return nerve.zeros(a.batch_shape)

    np.testing.assert_array_equal(D.kl_divergence(p, q).numpy(), [0.0])  # the specific one
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Laplace(0.0, 1.0))
    with pytest.raises(TypeError):
        D.register_kl("Normal", D.Normal)


def test_namespace():
    assert nerve.distributions is D
    for name in (
        "Normal",
        "Bernoulli",
        "Categorical",
        "Uniform",
        "Exponential",
        "Laplace",
        "Beta",
        "Gamma",
        "MultivariateNormal",
        "Independent",
        "OneHotCategorical",
        "kl_divergence",
        "register_kl",
        "Distribution",
        "constraints",
    ):
        assert hasattr(D, name) and hasattr(TD, name)
