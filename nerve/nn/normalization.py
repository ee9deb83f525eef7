"""Normalization layers: BatchNorm1d/2d (per channel over the batch), InstanceNorm1d/2d (per
sample and channel), GroupNorm (per sample over groups of channels), LayerNorm (per sample
over the trailing dims), RMSNorm (LayerNorm without centring) and LocalResponseNorm (across
neighbouring channels)."""

from __future__ import annotations

import warnings

from nerve import dtypes
from nerve import functional as F
from nerve.backend.arrayfns import namespace_for
from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.tensor import Tensor

# ruff: noqa: A002 - PyTorch's argument names (input)


def _param(data) -> Parameter:
    """A Parameter of an array of any device (Parameter() itself takes host data)."""
    return Parameter(Tensor._wrap(data))


def _affine_identity(m: Module) -> None:
    """γ = 1, β = 0: the affine map starts as the identity (PyTorch's initialisation)."""
    if m.weight is not None:
        m.weight._data[...] = 1
    if m.bias is not None:
        m.bias._data[...] = 0


class _NormBase(Module):
    """Per-channel γ (ones) and β (zeros) when ``affine``, and the running statistics
    (running_mean 0, running_var 1, num_batches_tracked 0) when ``track_running_stats``."""

    _dims: tuple = ()
    # checkpoints from before the counter existed load as in PyTorch: the counter is kept
    _optional_state = ("num_batches_tracked",)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self._use_bias = affine and bias
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        xp = namespace_for(device)  # made where they will live (no host copy to move)
        self.register_parameter("weight", _param(xp.ones(num_features, dt)) if affine else None)
        self.register_parameter(
            "bias", _param(xp.zeros(num_features, dt)) if self._use_bias else None
        )
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._wrap(xp.zeros(num_features, dt)))
            self.register_buffer("running_var", Tensor._wrap(xp.ones(num_features, dt)))
            self.register_buffer("num_batches_tracked", Tensor._wrap(xp.zeros((), dtypes.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _affine_identity(self)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self._use_bias}, "
            f"track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    """y = (x - E[x]) / √(Var[x] + eps) · γ + β per channel (axis 1).

    In training the batch statistics are used and the running ones updated:
    running = (1 - momentum) · running + momentum · batch (unbiased variance), or the
    cumulative average when momentum is None. In evaluation the running ones are used.
    γ starts at 1, β at 0; running_mean at 0, running_var at 1.
    """

    def _check_input(self, input: Tensor) -> None:
        name = type(self).__name__
        if input.ndim not in self._dims:
            dims = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(
                f"{name}: expected {dims} input (got {input.ndim}D input of "
                f"shape {tuple(input.shape)})"
            )
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"{name}({self.num_features}): expected input with "
                f"{self.num_features} channels (dim 1), got shape "
                f"{tuple(input.shape)}"
            )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input."""

    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) input (volumetric: statistics over N, D, H,
    W per channel)."""

    _dims = (5,)


class _InstanceNorm(_NormBase):
    """y = (x - E[x]) / √(Var[x] + eps) · γ + β for each sample and channel, over the
    spatial dims (biased variance). Unlike BatchNorm, affine and track_running_stats default
    to False. When tracking, training updates running = (1 - momentum) · running +
    momentum · (batch average of the per-instance statistics), the variance unbiased (no
    update when momentum is None; num_batches_tracked stays 0, as in PyTorch), and
    evaluation normalizes with the running statistics. Unbatched (C, *S) input is taken as
    a batch of one.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        if input.ndim not in self._dims:
            raise ValueError(
                f"{name}: expected {self._dims[0]}D or {self._dims[1]}D input "
                f"(got {input.ndim}D input of shape {tuple(input.shape)})"
            )
        unbatched = input.ndim == self._dims[0]
        c = input.shape[0 if unbatched else 1]
        if c != self.num_features:
            if self.affine:
                raise ValueError(
                    f"{name}({self.num_features}): expected input's size at "
                    f"dim={0 if unbatched else 1} to match num_features "
                    f"({self.num_features}), but got: {c} (input shape "
                    f"{tuple(input.shape)})"
                )
            warnings.warn(
                f"{name}: input's size at dim={0 if unbatched else 1} does not "
                f"match num_features. You can silence this warning by not passing "
                f"in num_features, which is not used because affine=False",
                stacklevel=2,
            )
        x = input.unsqueeze(0) if unbatched else input
        y = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or unbatched (C, L) input."""

    _dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or unbatched (C, H, W) input."""

    _dims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or unbatched (C, D, H, W) input."""

    _dims = (4, 5)


class GroupNorm(Module):
    """y = (x - E[x]) / √(Var[x] + eps) · γ + β, the statistics of each sample taken over
    groups of num_channels / num_groups channels and all spatial positions (biased variance);
    γ (ones) and β (zeros) are per channel. The same in training and evaluation."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                f"num_groups ({num_groups})"
            )
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        xp = namespace_for(device)  # made where they will live (no host copy to move)
        self.register_parameter("weight", _param(xp.ones(num_channels, dt)) if affine else None)
        self.register_parameter(
            "bias", _param(xp.zeros(num_channels, dt)) if affine and bias else None
        )

    def reset_parameters(self) -> None:
        _affine_identity(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
            f"affine={self.affine}, bias={self.bias is not None}"
        )


class LocalResponseNorm(Module):
    """y_c = x_c / (k + α/n · Σ x_{c'}²)^β, the sum over the n channels around c (zero
    beyond the edges); no parameters."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class LayerNorm(Module):
    """y = (x - E[x]) / √(Var[x] + eps) · γ + β over the trailing ``normalized_shape`` dims of
    each sample (biased variance); γ (ones) and β (zeros) of that shape."""

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self._use_bias = elementwise_affine and bias
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        xp = namespace_for(device)  # made where they will live (no host copy to move)
        if elementwise_affine:
            self.weight = _param(xp.ones(self.normalized_shape, dt))
            if bias:
                self.bias = _param(xp.zeros(self.normalized_shape, dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        _affine_identity(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self._use_bias}"
        )


class RMSNorm(Module):
    """y = x / √(mean(x²) + eps) · γ over the trailing ``normalized_shape`` dims of each
    sample (no centring, no bias); γ (ones) of that shape. ``eps=None`` uses the machine
    epsilon of the input's dtype."""

    def __init__(
        self,
        normalized_shape,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        xp = namespace_for(device)  # made where they will live (no host copy to move)
        self.register_parameter(
            "weight", _param(xp.ones(self.normalized_shape, dt)) if elementwise_affine else None
        )

    def reset_parameters(self) -> None:
        if self.weight is not None:
            self.weight._data[...] = 1

    def forward(self, input: Tensor) -> Tensor:
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )
