"""Weight normalisation (Salimans & Kingma, 2016), the older hook-based form of
``torch.nn.utils.weight_norm``: the parameter ``name`` is split into a magnitude
``name_g`` and a direction ``name_v``, and a forward pre-hook recomputes

    w = g · v / ‖v‖

before every forward, the norm taken over every dimension except ``dim`` (over all of
them for ``dim=None``/``-1``). ``nerve.nn.utils.parametrizations.weight_norm`` is the
newer form of the same thing.
"""

from __future__ import annotations

import warnings

from nerve.linalg import vector_norm
from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.tensor import Tensor

__all__ = ["norm_except_dim", "remove_weight_norm", "weight_norm", "weight_norm_of"]


def norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """‖v‖₂ over every axis but ``dim``, kept as size-1 axes; the whole norm (a 0-d
    tensor) for ``dim=-1``, as ``torch.norm_except_dim(v, 2, dim)``."""
    if dim == -1:
        return vector_norm(v)
    axis = dim % v.ndim
    return vector_norm(v, dim=tuple(a for a in range(v.ndim) if a != axis), keepdim=True)


def weight_norm_of(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """w = v · g / ‖v‖ (``torch._weight_norm``); the gradient reaches g and v."""
    return v * (g / norm_except_dim(v, dim))


class WeightNorm:
    """The forward pre-hook that sets ``module.name`` from ``name_g`` and ``name_v``."""

    def __init__(self, name: str, dim: int) -> None:
        self.name, self.dim = name, -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        return weight_norm_of(
            getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim
        )

    @staticmethod
    def apply(module: Module, name: str, dim: int | None) -> WeightNorm:
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two weight_norm hooks on the same parameter {name}"
                )
        fn = WeightNorm(name, dim)
        weight = module._parameters.get(name)
        if weight is None:
            raise AttributeError(f"'{type(module).__name__}' object has no parameter '{name}'")
        g = norm_except_dim(weight.detach(), fn.dim)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(g._data.copy()))
        module.register_parameter(name + "_v", Parameter(weight._data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()._data))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.name`` as g · v / ‖v‖ (parameters ``name_g``, ``name_v``)."""
    warnings.warn(
        "`nerve.nn.utils.weight_norm` is deprecated in favor of "
        "`nerve.nn.utils.parametrizations.weight_norm`.",
        FutureWarning,
        stacklevel=2,
    )
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Fold g and v back into one parameter ``name``."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
