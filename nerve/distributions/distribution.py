"""The Distribution base class (``torch.distributions.Distribution``) and shared helpers.

A distribution has a ``batch_shape`` (independent, differently parameterised copies) and
an ``event_shape`` (the shape of one draw); ``sample(sample_shape)`` returns
``sample_shape + batch_shape + event_shape``. Everything differentiable (``rsample``,
``log_prob``, ``entropy``) is a composite of nerve ops, so its gradient comes from them.
"""

from __future__ import annotations

import numbers

import numpy as np

from nerve import creation, dtypes
from nerve.autograd.grad_mode import no_grad
from nerve.distributions import constraints
from nerve.ops.shape.dims import broadcast_tensors
from nerve.random import rng
from nerve.tensor import Size, Tensor

_VALIDATE_DEFAULT = [True]  # PyTorch validates unless running with python -O


def _size(shape) -> Size:
    return Size(tuple(int(s) for s in shape))


def broadcast_all(*values):
    """Numbers become tensors of the tensors' dtype (the default dtype if there are none);
    then all are broadcast to one shape."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    for v in values:
        if not isinstance(v, (Tensor, numbers.Number)):
            raise ValueError(
                "Input arguments must all be instances of numbers.Number "
                f"or nerve.Tensor, got {type(v).__name__}"
            )
    dtype = tensors[0].dtype if tensors else dtypes.get_default_dtype()
    out = [v if isinstance(v, Tensor) else creation.tensor(float(v), dtype=dtype) for v in values]
    return tuple(broadcast_tensors(*out)) if len(out) > 1 else (out[0],)


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum out the ``dim`` rightmost dimensions."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[: value.dim() - dim]) + (-1,)).sum(-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities kept in [eps, 1 - eps] so their logs stay finite."""
    eps = float(np.finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    p = clamp_probs(probs)
    return Tensor.log(p) - Tensor.log1p(-p) if is_binary else Tensor.log(p)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    return Tensor.sigmoid(logits) if is_binary else Tensor.softmax(logits, -1)


def draw(fn, shape, dtype) -> Tensor:
    """A tensor of ``shape`` from the NumPy generator method ``fn(rng, shape)``."""
    arr = np.asarray(fn(rng(), tuple(shape)), dtype=dtype)
    return Tensor._wrap(arr)


class Distribution:
    """Base class: subclasses set ``arg_constraints``, ``support`` and ``has_rsample``."""

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict = {}
    support = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        if value not in (True, False):
            raise ValueError
        _VALIDATE_DEFAULT[0] = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None) -> None:
        self._batch_shape = _size(batch_shape)
        self._event_shape = _size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        else:
            self._validate_args = _VALIDATE_DEFAULT[0]
        if self._validate_args:
            for param, constraint in self.arg_constraints.items():
                if constraint is constraints.dependent or param not in self.__dict__:
                    continue
                value = getattr(self, param)
                ok = constraint.check(value)
                if not np.all(ok):
                    raise ValueError(
                        f"Expected parameter {param} ({type(value).__name__} of shape "
                        f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                        f"constraint {constraint!r}, but found invalid values:\n{value}"
                    )

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> Size:
        if not isinstance(sample_shape, (tuple, list)):
            sample_shape = tuple(sample_shape)
        return _size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom "
                "__init__ method must also define a custom .expand() method."
            )
        return cls.__new__(type(self)) if _instance is None else _instance

    def expand(self, batch_shape, _instance=None):
        """The same distribution with parameters broadcast to ``batch_shape`` (no copy)."""
        batch_shape = _size(batch_shape)
        new = self._get_checked_instance(type(self), _instance)
        for name in self.arg_constraints:
            if name in self.__dict__:
                value = self.__dict__[name]
                shape = tuple(batch_shape) + tuple(value.shape[len(self._batch_shape) :])
                setattr(new, name, value.expand(shape))
        self._expand_extra(new, batch_shape)
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _expand_extra(self, new, batch_shape) -> None:
        """Copy/expand attributes other than the parameters (hook for subclasses)."""

    # -- values a subclass provides ------------------------------------------------
    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no mean")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no variance")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def sample(self, sample_shape=()) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        raise NotImplementedError

    def sample_n(self, n: int) -> Tensor:
        return self.sample((n,))

    def log_prob(self, value) -> Tensor:
        raise NotImplementedError

    def cdf(self, value) -> Tensor:
        raise NotImplementedError

    def icdf(self, value) -> Tensor:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        return Tensor.exp(self.entropy())

    def enumerate_support(self, expand: bool = True) -> Tensor:
        raise NotImplementedError

    # -- validation ----------------------------------------------------------------
    def _validate_sample(self, value) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim = len(self._event_shape)
        if (
            tuple(value.shape[value.dim() - event_dim :]) != tuple(self._event_shape)
            or value.dim() < event_dim
        ):
            raise ValueError(
                f"The right-most size of value must match event_shape: "
                f"{value.shape} vs {self._event_shape}."
            )
        actual = tuple(value.shape)
        expected = tuple(self._batch_shape) + tuple(self._event_shape)
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(
                    "Value is not broadcastable with batch_shape+event_shape: "
                    f"{_size(actual)} vs {_size(expected)}."
                )
        support = self.support
        if support is None or support is constraints.dependent:
            return
        if not np.all(support.check(value)):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {tuple(actual)}) "
                f"to be within the support ({support!r}) of the distribution {self!r}, "
                f"but found invalid values:\n{value}"
            )

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        parts = []
        for name in names:
            v = self.__dict__[name]
            parts.append(f"{name}: {v.item() if v.numel() == 1 else v.size()}")
        return f"{type(self).__name__}({', '.join(parts)})"


class lazy_property:  # noqa: N801 - a decorator, named as PyTorch's
    """Computed on first access, then stored in the instance's ``__dict__`` (so a
    distribution built from probs gets its logits once, and vice versa)."""

    def __init__(self, fn) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = self.fn(instance)
        instance.__dict__[self.fn.__name__] = value
        return value


class LocationScale(Distribution):
    """A real-valued family with a location μ (its mean and mode) and a positive scale,
    both broadcast to the batch shape: Normal, Laplace."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc
