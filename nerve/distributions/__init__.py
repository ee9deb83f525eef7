"""nerve.distributions: probability distributions with PyTorch's API
(``torch.distributions``): sampling, reparameterised sampling, log-probabilities,
entropies and KL divergences, all differentiable through nerve's autograd."""

from nerve.distributions import constraints
from nerve.distributions.bernoulli import Bernoulli
from nerve.distributions.beta import Beta
from nerve.distributions.categorical import Categorical
from nerve.distributions.distribution import Distribution
from nerve.distributions.exponential import Exponential
from nerve.distributions.gamma import Gamma
from nerve.distributions.independent import Independent
from nerve.distributions.kl import kl_divergence, register_kl
from nerve.distributions.laplace import Laplace
from nerve.distributions.multivariate_normal import MultivariateNormal
from nerve.distributions.normal import Normal
from nerve.distributions.one_hot_categorical import OneHotCategorical
from nerve.distributions.uniform import Uniform

__all__ = [
    "Bernoulli",
    "Beta",
    "Categorical",
    "Distribution",
    "Exponential",
    "Gamma",
    "Independent",
    "Laplace",
    "MultivariateNormal",
    "Normal",
    "OneHotCategorical",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]
