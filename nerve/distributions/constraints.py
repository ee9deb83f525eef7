"""Constraints: the sets a parameter or a sample must lie in (``torch.distributions.constraints``).

``check(value)`` returns a boolean NumPy array, reduced over the constraint's event
dimensions, that is True where the value satisfies the constraint.
"""

from __future__ import annotations

import numpy as np


def _arr(value):
    from nerve.tensor import Tensor

    return value.detach().numpy() if isinstance(value, Tensor) else np.asarray(value)


class Constraint:
    is_discrete = False
    event_dim = 0

    def check(self, value) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__.lstrip("_") + "()"


class _Dependent(Constraint):
    """Depends on other parameters (Uniform's low/high): not checked on its own."""

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


class _Real(Constraint):
    def check(self, value):
        v = _arr(value)
        return v == v  # NaN is the only invalid real


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        v = _arr(value)
        return (v == 0) | (v == 1)


class _GreaterThan(Constraint):
    def __init__(self, lower_bound) -> None:
        self.lower_bound = lower_bound

    def check(self, value):
        return _arr(value) > _arr(self.lower_bound)

    def __repr__(self) -> str:
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _GreaterThanEq(_GreaterThan):
    def check(self, value):
        return _arr(value) >= _arr(self.lower_bound)

    def __repr__(self) -> str:
        return f"GreaterThanEq(lower_bound={self.lower_bound})"


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound) -> None:
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        v = _arr(value)
        return (_arr(self.lower_bound) <= v) & (v <= _arr(self.upper_bound))

    def __repr__(self) -> str:
        return f"Interval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerInterval(_Interval):
    is_discrete = True

    def check(self, value):
        v = _arr(value)
        return (v % 1 == 0) & (self.lower_bound <= v) & (v <= self.upper_bound)

    def __repr__(self) -> str:
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IndependentConstraint(Constraint):
    """A base constraint whose rightmost ``n`` dimensions form one event."""

    def __init__(self, base: Constraint, reinterpreted_batch_ndims: int) -> None:
        self.base_constraint = base
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        self.is_discrete = base.is_discrete
        self.event_dim = base.event_dim + reinterpreted_batch_ndims

    def check(self, value):
        ok = self.base_constraint.check(value)
        n = self.reinterpreted_batch_ndims
        return ok.reshape(ok.shape[: ok.ndim - n] + (-1,)).all(-1) if n else ok

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        v = _arr(value)
        return (v >= 0).all(-1) & (np.abs(v.sum(-1) - 1) < 1e-6)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value):
        v = _arr(value)
        return ((v == 0) | (v == 1)).all(-1) & (v.sum(-1) == 1)


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        v = _arr(value)
        lower = (np.tril(v) == v).reshape(v.shape[:-2] + (-1,)).min(-1)
        diag = (np.diagonal(v, axis1=-2, axis2=-1) > 0).min(-1)
        return lower & diag


class _PositiveDefinite(Constraint):
    event_dim = 2

    def check(self, value):
        v = _arr(value)
        sym = np.isclose(v, np.swapaxes(v, -1, -2), atol=1e-6).all((-2, -1))
        if not sym.all():
            return sym
        return np.linalg.eigvalsh(v).min(-1) > 0


dependent = _Dependent()
real = _Real()
real_vector = _IndependentConstraint(real, 1)
boolean = _Boolean()
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
unit_interval = _Interval(0.0, 1.0)
simplex = _Simplex()
one_hot = _OneHot()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
independent = _IndependentConstraint
interval = _Interval
integer_interval = _IntegerInterval
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
