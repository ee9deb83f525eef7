"""The Laplace (double exponential) distribution."""

from __future__ import annotations

import numpy as np

from nerve.distributions.distribution import LocationScale, draw
from nerve.tensor import Tensor


class Laplace(LocationScale):
    """Laplace(μ, b).  rsample: u ~ U(−1, 1),  x = μ − b sign(u) log(1 − |u|).

    log p(x) = −log 2b − |x − μ| / b;  F(x) = ½ − ½ sign(x − μ) (e^(−|x − μ|/b) − 1);
    H = 1 + log 2b.
    """

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2**0.5) * self.scale

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = float(np.finfo(self.loc.dtype).eps)
        # u in (−1 + eps, 1): keeps log1p(−|u|) finite
        u = draw(lambda g, s: g.uniform(eps - 1, 1, s), shape, self.loc.dtype)
        return self.loc - self.scale * u.sign() * Tensor.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -Tensor.log(2 * self.scale) - Tensor.abs(value - self.loc) / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * Tensor.expm1(-d.abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * Tensor.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + Tensor.log(2 * self.scale)
