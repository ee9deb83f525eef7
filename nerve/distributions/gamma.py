"""The gamma distribution Γ(α, β) (shape α = concentration, β = rate)."""

from __future__ import annotations

import numpy as np

from nerve.autograd.grad_mode import no_grad
from nerve.distributions import constraints
from nerve.distributions.distribution import Distribution, broadcast_all, draw
from nerve.tensor import Tensor


class Gamma(Distribution):
    """Γ(α, β):  log p(x) = α log β + (α − 1) log x − βx − log Γ(α);
    H = α − log β + log Γ(α) + (1 − α) ψ(α).

    Differs from PyTorch: no rsample (PyTorch differentiates the draw implicitly,
    which needs ∂x/∂α of the gamma CDF; nerve has no op for it), so ``has_rsample`` is
    False and ``rsample`` raises NotImplementedError.
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative

    def __init__(self, concentration, rate, validate_args=None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, (), validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        with no_grad():
            a = np.broadcast_to(self.concentration.detach().numpy(), shape)
            g = draw(lambda gen, s: gen.standard_gamma(a, s), shape, self.rate.dtype)
            tiny = float(np.finfo(self.rate.dtype).tiny)
            return (g / self.rate).clamp(min=tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return Tensor.xlogy(a, b) + Tensor.xlogy(a - 1, value) - b * value - Tensor.lgamma(a)

    def entropy(self):
        a = self.concentration
        return a - Tensor.log(self.rate) + Tensor.lgamma(a) + (1.0 - a) * Tensor.digamma(a)
