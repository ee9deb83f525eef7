"""Spectral normalisation (Miyato et al., 2018), the older hook-based form of
``torch.nn.utils.spectral_norm``: the parameter ``name`` becomes ``name_orig`` and a
forward pre-hook sets

    w = w_orig / σ,   σ = uᵀ W v

where W is w_orig reshaped to a matrix (``dim`` first) and u, v (buffers ``name_u``,
``name_v``) estimate its top singular vectors. In training mode each forward first runs
``n_power_iterations`` steps of the power method, v ← Wᵀu/‖Wᵀu‖, u ← Wv/‖Wv‖; in eval
mode u and v stay as they are. σ's gradient flows to w_orig with u, v held constant.
"""

from __future__ import annotations

import numpy as np

from nerve.autograd.grad_mode import no_grad
from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.tensor import Tensor

__all__ = ["remove_spectral_norm", "spectral_norm"]


def normalize_(x: np.ndarray, eps: float) -> np.ndarray:
    """x / max(‖x‖, eps) on a raw vector."""
    return x / max(float(np.linalg.norm(x)), eps)


def weight_matrix(weight: Tensor, dim: int) -> Tensor:
    """(d₀, ..., d_dim, ...) -> (d_dim, ∏ other dims): the matrix whose σ is taken."""
    if dim != 0:
        weight = weight.permute(dim, *(a for a in range(weight.ndim) if a != dim))
    return weight.reshape(weight.shape[0], -1)


def _default_dim(module: Module) -> int:
    from nerve.nn.conv import _ConvTransposeNd

    return 1 if isinstance(module, _ConvTransposeNd) else 0


class SpectralNorm:
    """The forward pre-hook that sets ``module.name = name_orig / σ``."""

    def __init__(
        self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.name, self.dim, self.eps = name, dim, eps
        self.n_power_iterations = n_power_iterations

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        w = weight_matrix(weight, self.dim)
        if do_power_iteration:
            mat = w._data
            for _ in range(self.n_power_iterations):
                # in place, so the buffers (and any reference to them) see the update
                v._data[...] = normalize_(mat.T @ u._data, self.eps)
                u._data[...] = normalize_(mat @ v._data, self.eps)
        u, v = u.detach().clone(), v.detach().clone()
        sigma = (u * (w @ v)).sum()
        return weight / sigma

    @staticmethod
    def apply(
        module: Module, name: str, n_power_iterations: int, dim: int, eps: float
    ) -> SpectralNorm:
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two spectral_norm hooks on the same parameter {name}"
                )
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters.get(name)
        if weight is None:
            raise AttributeError(f"'{type(module).__name__}' object has no parameter '{name}'")
        from nerve.random import rng

        h, w = weight_matrix(weight.detach(), dim).shape
        dtype = weight._data.dtype
        u = normalize_(rng().standard_normal(h).astype(dtype), eps)
        v = normalize_(rng().standard_normal(w).astype(dtype), eps)
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", Tensor._wrap(u))
        module.register_buffer(name + "_v", Tensor._wrap(v))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()._data))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.name`` by its spectral norm before every forward (see module doc);
    ``dim`` defaults to 1 for ConvTranspose (its output channels) and 0 otherwise."""
    SpectralNorm.apply(
        module, name, n_power_iterations, _default_dim(module) if dim is None else dim, eps
    )
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Make ``module.name`` a plain parameter again, holding w_orig / σ."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
