"""The exponential distribution with rate λ."""

from __future__ import annotations

from nerve import creation
from nerve.distributions import constraints
from nerve.distributions.distribution import Distribution, broadcast_all, draw
from nerve.tensor import Tensor


class Exponential(Distribution):
    """Exp(λ).  rsample: x = e / λ with e ~ Exp(1), so ∂x/∂λ = −x/λ.

    log p(x) = log λ − λx;  F(x) = 1 − e^(−λx);  H = 1 − log λ.
    """

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None) -> None:
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return creation.zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        e = draw(lambda g, s: g.standard_exponential(s), shape, self.rate.dtype)
        return e / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - Tensor.exp(-self.rate * value)

    def icdf(self, value):
        return -Tensor.log1p(-value) / self.rate

    def entropy(self):
        return 1.0 - Tensor.log(self.rate)
