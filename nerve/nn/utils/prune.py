"""Magnitude pruning, as ``torch.nn.utils.prune``: a pruned parameter ``name`` becomes
``name_orig`` (still learnable) times a fixed buffer ``name_mask``; ``module.name`` is
recomputed as orig · mask by a forward pre-hook before every forward, so pruned weights
stay zero through training (their gradient is masked too). ``remove`` makes it permanent.
"""

from __future__ import annotations

import numbers

import numpy as np

from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.tensor import Tensor


def _n_to_prune(amount, size: int) -> int:
    """``amount`` is a fraction in [0, 1] or a count; validated as PyTorch does."""
    if not isinstance(amount, numbers.Real) or isinstance(amount, bool):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if isinstance(amount, numbers.Integral):
        if amount < 0:
            raise ValueError(
                f"amount={amount} should either be a float in the range [0, 1] "
                "or a non-negative integer"
            )
        if amount > size:
            raise ValueError(
                f"amount={amount} should be smaller than the number of parameters to prune={size}"
            )
        return int(amount)
    if not 0.0 <= amount <= 1.0:
        raise ValueError(
            f"amount={amount} should either be a float in the range [0, 1] or a "
            "non-negative integer"
        )
    return round(amount * size)


class BasePruningMethod:
    """A pruning method is a forward pre-hook that sets ``module.name = orig · mask``."""

    def __init__(self, amount=0.0) -> None:
        self.amount = amount
        self._tensor_name = ""

    def compute_mask(self, scores: np.ndarray, default_mask: np.ndarray) -> np.ndarray:
        """A 0/1 mask over the entries still alive in ``default_mask``."""
        alive = default_mask == 1
        k = _n_to_prune(self.amount, int(alive.sum()))
        mask = default_mask.copy()
        if k:
            idx = np.flatnonzero(alive)
            mask.reshape(-1)[idx[self.order(scores.reshape(-1)[idx])[:k]]] = 0
        return mask

    def order(self, scores: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def apply_mask(self, module: Module) -> Tensor:
        orig = getattr(module, self._tensor_name + "_orig")
        return orig * getattr(module, self._tensor_name + "_mask")

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    @classmethod
    def apply(cls, module: Module, name: str, *args, importance_scores=None, **kwargs):
        """Prune ``module.name``; a second pruning acts on the entries still alive."""
        method = cls(*args, **kwargs)
        method._tensor_name = name
        old = _find_method(module, name)
        if old is None:
            param = module._parameters.get(name)
            if param is None:
                raise AttributeError(
                    f"Parameter '{name}' of module {type(module).__name__} "
                    "does not exist or is None"
                )
            default = np.ones_like(param._data)
        else:
            param = module._parameters[name + "_orig"]
            default = module._buffers[name + "_mask"]._data
        scores = param._data if importance_scores is None else np.asarray(importance_scores)
        if scores.shape != param._data.shape:
            raise ValueError(
                f"importance_scores should have the same shape as parameter "
                f"{name} of {type(module).__name__}: {scores.shape} vs "
                f"{param._data.shape}"
            )
        mask = method.compute_mask(scores, default)
        if old is None:
            del module._parameters[name]
            module.register_parameter(name + "_orig", param)
            module.register_forward_pre_hook(method)
        module.register_buffer(name + "_mask", Tensor._wrap(mask.astype(param._data.dtype)))
        setattr(module, name, method.apply_mask(module))
        return method


class L1Unstructured(BasePruningMethod):
    """Prune the ``amount`` entries of smallest absolute value."""

    def order(self, scores):
        return np.argsort(np.abs(scores), kind="stable")


class RandomUnstructured(BasePruningMethod):
    """Prune ``amount`` entries chosen at random (nerve's global generator)."""

    def order(self, scores):
        from nerve.random import rng

        return rng().permutation(scores.size)


class LnStructured(BasePruningMethod):
    """Prune the ``amount`` whole slices along ``dim`` (output units for ``dim=0``) of
    smallest L``n`` norm ‖w_slice‖ₙ; slices already pruned are not counted again."""

    def __init__(self, amount, n, dim: int = -1) -> None:
        super().__init__(amount)
        self.n, self.dim = n, dim

    def slice_scores(self, scores: np.ndarray) -> np.ndarray:
        other = tuple(a for a in range(scores.ndim) if a != self.dim % scores.ndim)
        if self.n in ("fro", 2):
            return np.sqrt((scores**2).sum(other))
        if self.n in (np.inf, float("inf"), "inf"):
            return np.abs(scores).max(other)
        return (np.abs(scores) ** self.n).sum(other) ** (1.0 / self.n)

    def compute_mask(self, scores, default_mask):
        if scores.ndim < 1 or not -scores.ndim <= self.dim < scores.ndim:
            raise IndexError(
                f"ln_structured: dim={self.dim} is out of range for a {scores.ndim}-d parameter"
            )
        axis = self.dim % scores.ndim
        other = tuple(a for a in range(scores.ndim) if a != axis)
        alive = np.flatnonzero(default_mask.sum(other) != 0)
        k = _n_to_prune(self.amount, alive.size)
        mask = default_mask.copy()
        if k:
            norms = self.slice_scores(scores * default_mask)[alive]
            dead = alive[np.argsort(norms, kind="stable")[:k]]
            np.moveaxis(mask, axis, 0)[dead] = 0
        return mask


class RandomStructured(LnStructured):
    """Prune ``amount`` whole slices along ``dim`` chosen at random."""

    def __init__(self, amount, dim: int = -1) -> None:
        super().__init__(amount, 1, dim)

    def slice_scores(self, scores):
        from nerve.random import rng

        return rng().random(scores.shape[self.dim])


class CustomFromMask(BasePruningMethod):
    """Prune where a given 0/1 mask is 0."""

    def __init__(self, mask) -> None:
        super().__init__()
        self.mask = mask._data if isinstance(mask, Tensor) else np.asarray(mask)

    def compute_mask(self, scores, default_mask):
        return default_mask * self.mask.astype(default_mask.dtype)


def _find_method(module: Module, name: str):
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            return hook
    return None


def l1_unstructured(module: Module, name: str, amount, importance_scores=None) -> Module:
    """Zero the ``amount`` (fraction or count) smallest-magnitude entries of ``module.name``."""
    L1Unstructured.apply(module, name, amount, importance_scores=importance_scores)
    return module


def random_unstructured(module: Module, name: str, amount) -> Module:
    RandomUnstructured.apply(module, name, amount)
    return module


def ln_structured(module: Module, name: str, amount, n, dim, importance_scores=None) -> Module:
    """Zero the ``amount`` slices along ``dim`` of ``module.name`` with the smallest Ln norm
    (``dim=0`` of a Linear weight: whole output units)."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount, dim) -> Module:
    RandomStructured.apply(module, name, amount, dim)
    return module


def custom_from_mask(module: Module, name: str, mask) -> Module:
    CustomFromMask.apply(module, name, mask)
    return module


def identity(module: Module, name: str) -> Module:
    """Reparametrise ``name`` as orig · mask with an all-ones mask (nothing pruned)."""
    return custom_from_mask(module, name, np.ones(getattr(module, name).shape))


def global_unstructured(
    parameters, pruning_method=L1Unstructured, importance_scores=None, **kwargs
) -> None:
    """Prune across several (module, name) pairs at once by one global ranking."""
    pairs = list(parameters)
    scores = [(importance_scores or {}).get((m, n), _current(m, n)) for m, n in pairs]
    masks = [_current_mask(m, n) for m, n in pairs]
    flat_scores = np.concatenate([np.asarray(s).reshape(-1) for s in scores])
    flat_mask = np.concatenate([m.reshape(-1) for m in masks])
    method = pruning_method(**kwargs)
    flat = method.compute_mask(flat_scores, flat_mask)
    pointer = 0
    for (m, n), old in zip(pairs, masks):
        part = flat[pointer : pointer + old.size].reshape(old.shape)
        pointer += old.size
        CustomFromMask.apply(m, n, part)


def _current(module: Module, name: str) -> np.ndarray:
    p = module._parameters.get(name + "_orig", module._parameters.get(name))
    return p._data


def _current_mask(module: Module, name: str) -> np.ndarray:
    buf = module._buffers.get(name + "_mask")
    return np.ones_like(_current(module, name)) if buf is None else buf._data


def remove(module: Module, name: str) -> Module:
    """Make pruning permanent: ``name`` becomes a plain Parameter holding orig · mask."""
    method = _find_method(module, name)
    if method is None:
        raise ValueError(
            f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed"
        )
    data = method.apply_mask(module)._data
    for key, hook in list(module._forward_pre_hooks.items()):
        if hook is method:
            del module._forward_pre_hooks[key]
    del module._parameters[name + "_orig"]
    del module._buffers[name + "_mask"]
    module.__dict__.pop(name, None)
    setattr(module, name, Parameter(np.array(data)))
    return module


def is_pruned(module: Module) -> bool:
    """True if any sub-module has a pruned parameter."""
    return any(
        isinstance(h, BasePruningMethod)
        for m in module.modules()
        for h in m._forward_pre_hooks.values()
    )
