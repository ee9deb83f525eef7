"""The Bernoulli distribution, from probabilities or logits."""

from __future__ import annotations

import numbers

from nerve import creation
from nerve.autograd.grad_mode import no_grad
from nerve.distributions import constraints
from nerve.distributions.distribution import (
    Distribution,
    broadcast_all,
    draw,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)
from nerve.nn import functional as F
from nerve.ops.shape.dims import broadcast_tensors


class Bernoulli(Distribution):
    """Bernoulli(p), p = σ(logits).

    log p(x) = x log σ(ℓ) + (1 − x) log σ(−ℓ) = −BCEWithLogits(ℓ, x), stable for any ℓ;
    H = BCEWithLogits(ℓ, p).
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        given = probs if probs is not None else logits
        is_scalar = isinstance(given, numbers.Number)
        (param,) = broadcast_all(given)
        if probs is not None:
            self.probs = param
        else:
            self.logits = param
        self._param = param
        super().__init__(() if is_scalar else param.shape, (), validate_args)

    def _expand_extra(self, new, batch_shape):
        new._param = new.probs if "probs" in new.__dict__ else new.logits

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        p = self.probs
        half = creation.full_like(p, float("nan"))
        return half.where(p == 0.5, (p >= 0.5).type_as(p)).detach()

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            p = self.probs.expand(shape)
            u = draw(lambda g, s: g.random(s), shape, p.dtype)
            return (u < p).type_as(p)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_tensors(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        values = creation.arange(2, dtype=self._param.dtype)
        values = values.reshape((-1,) + (1,) * len(self.batch_shape))
        return values.expand((-1,) + tuple(self.batch_shape)) if expand else values
