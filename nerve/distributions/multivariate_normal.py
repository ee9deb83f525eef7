"""The multivariate normal distribution N(μ, Σ), parameterised through Σ's Cholesky factor."""

from __future__ import annotations

import math

from nerve import linalg
from nerve.distributions import constraints
from nerve.distributions.distribution import Distribution, draw
from nerve.ops.shape.dims import broadcast_shapes


def batch_mahalanobis(scale_tril, diff):
    """‖L⁻¹ d‖² for Σ = L Lᵀ, batched over the leading dimensions of both.

    The triangular solve is a general ``linalg.solve`` on ``tril(L)``: tril's backward
    keeps the gradient on the lower triangle, as a triangular solve's would.
    """
    n = diff.shape[-1]
    lead = broadcast_shapes(tuple(scale_tril.shape[:-2]), tuple(diff.shape[:-1]))
    lower = scale_tril.tril().expand(tuple(lead) + (n, n))
    y = linalg.solve(lower, diff.expand(tuple(lead) + (n,)).unsqueeze(-1))
    return y.squeeze(-1).pow(2).sum(-1)


class MultivariateNormal(Distribution):
    """N(μ, Σ) with exactly one of covariance_matrix Σ, precision_matrix Σ⁻¹ or
    scale_tril L (Σ = L Lᵀ, L lower triangular with a positive diagonal).

    rsample: x = μ + L ε, ε ~ N(0, I);
    log p(x) = −½ (n log 2π + ‖L⁻¹(x − μ)‖²) − Σᵢ log Lᵢᵢ;
    H = ½ n (1 + log 2π) + Σᵢ log Lᵢᵢ.
    """

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        loc,
        covariance_matrix=None,
        precision_matrix=None,
        scale_tril=None,
        validate_args=None,
    ) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ValueError(
                "Exactly one of covariance_matrix or precision_matrix or "
                "scale_tril may be specified."
            )
        matrix = given[0]
        name = (
            "scale_tril"
            if scale_tril is not None
            else "covariance_matrix"
            if covariance_matrix is not None
            else "precision_matrix"
        )
        if matrix.dim() < 2:
            raise ValueError(
                f"{name} matrix must be at least two-dimensional, "
                "with optional leading batch dimensions"
            )
        batch_shape = broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        n = loc.shape[-1]
        setattr(self, name, matrix.expand(tuple(batch_shape) + (-1, -1)))
        self.loc = loc.expand(tuple(batch_shape) + (-1,))
        super().__init__(batch_shape, (n,), validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = linalg.cholesky(linalg.inv(precision_matrix))

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        n = self.event_shape[0]
        new.loc = self.loc.expand(batch_shape + (n,))
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(batch_shape + (n, n)))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def __getattr__(self, name):
        # the two matrices that were not given are computed from the Cholesky factor
        if (
            name in ("scale_tril", "covariance_matrix", "precision_matrix")
            and "_unbroadcasted_scale_tril" in self.__dict__
        ):
            lower = self._unbroadcasted_scale_tril
            shape = tuple(self._batch_shape) + tuple(self._event_shape) * 2
            if name == "scale_tril":
                return lower.expand(shape)
            cov = lower.matmul(lower.mT)
            return (cov if name == "covariance_matrix" else linalg.inv(cov)).expand(shape)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        shape = tuple(self._batch_shape) + tuple(self._event_shape)
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(shape)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = draw(lambda g, s: g.standard_normal(s), shape, self.loc.dtype)
        return self.loc + self._unbroadcasted_scale_tril.matmul(eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(0, -2, -1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        m = batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + m) - self._half_log_det()

    def entropy(self):
        n = self._event_shape[0]
        h = 0.5 * n * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(tuple(self._batch_shape)) if len(self._batch_shape) else h

    def __repr__(self) -> str:
        parts = [f"loc: {self.loc.size()}"]
        for name in ("covariance_matrix", "precision_matrix", "scale_tril"):
            if name in self.__dict__:
                parts.append(f"{name}: {self.__dict__[name].size()}")
        return f"MultivariateNormal({', '.join(parts)})"
