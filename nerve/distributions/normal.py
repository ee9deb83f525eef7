"""The normal (Gaussian) distribution N(μ, σ²)."""

from __future__ import annotations

import math

from nerve.distributions.distribution import LocationScale, draw
from nerve.tensor import Tensor

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


class Normal(LocationScale):
    """N(loc, scale²).  rsample: x = μ + σ ε with ε ~ N(0, 1), so ∂x/∂μ = 1, ∂x/∂σ = ε.

    log p(x) = −(x − μ)² / (2σ²) − log σ − log √(2π);   H = ½ + ½ log 2π + log σ.
    """

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = draw(lambda g, s: g.standard_normal(s), shape, self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale**2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - _LOG_SQRT_2PI

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + Tensor.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        return self.loc + self.scale * Tensor.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + Tensor.log(self.scale)
