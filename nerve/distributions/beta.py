"""The beta distribution B(α, β) on [0, 1]."""

from __future__ import annotations

import numpy as np

from nerve.distributions import constraints
from nerve.distributions.distribution import Distribution, broadcast_all, draw
from nerve.tensor import Tensor


class Beta(Distribution):
    """B(α, β) with α = concentration1, β = concentration0:

    log p(x) = (α − 1) log x + (β − 1) log(1 − x) − log B(α, β),
    log B(α, β) = log Γ(α) + log Γ(β) − log Γ(α + β);
    H = log B(α, β) − (α − 1) ψ(α) − (β − 1) ψ(β) + (α + β − 2) ψ(α + β).

    Differs from PyTorch: no rsample (see Gamma); ``rsample`` raises NotImplementedError.
    """

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval

    def __init__(self, concentration1, concentration0, validate_args=None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        super().__init__(self.concentration1.shape, (), validate_args)

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        return (a - 1) / (a + b - 2)

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        a = np.broadcast_to(self.concentration1.detach().numpy(), shape)
        b = np.broadcast_to(self.concentration0.detach().numpy(), shape)
        x = draw(lambda g, s: g.beta(a, b, s), shape, self.concentration1.dtype)
        eps = float(np.finfo(x.dtype).tiny)
        return x.clamp(min=eps, max=1 - float(np.finfo(x.dtype).eps) / 2)

    def _log_beta(self):
        a, b = self.concentration1, self.concentration0
        return Tensor.lgamma(a) + Tensor.lgamma(b) - Tensor.lgamma(a + b)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return Tensor.xlogy(a - 1, value) + Tensor.xlogy(b - 1, 1 - value) - self._log_beta()

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        return (
            self._log_beta()
            - (a - 1) * Tensor.digamma(a)
            - (b - 1) * Tensor.digamma(b)
            + (total - 2) * Tensor.digamma(total)
        )
