"""Normalization layers: BatchNorm1d/2d (per channel over the batch) and LayerNorm (per
sample over the trailing dims)."""

from __future__ import annotations

import numpy as np

from nerve import dtypes
from nerve import functional as F
from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.tensor import Tensor

# ruff: noqa: A002 - PyTorch's argument names (input)


class _BatchNorm(Module):
    """y = (x - E[x]) / √(Var[x] + eps) · γ + β per channel (axis 1).

    In training the batch statistics are used and the running ones updated:
    running = (1 - momentum) · running + momentum · batch (unbiased variance), or the
    cumulative average when momentum is None. In evaluation the running ones are used.
    γ starts at 1, β at 0; running_mean at 0, running_var at 1.
    """

    _dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self._use_bias = affine and bias
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        self.register_parameter("weight", Parameter(np.ones(num_features, dt)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(num_features, dt))
                                if self._use_bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._wrap(np.zeros(num_features, dt)))
            self.register_buffer("running_var", Tensor._wrap(np.ones(num_features, dt)))
            self.register_buffer("num_batches_tracked",
                                 Tensor._wrap(np.zeros((), np.int64)))
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
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def _check_input(self, input: Tensor) -> None:
        name = type(self).__name__
        if input.ndim not in self._dims:
            dims = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(f"{name}: expected {dims} input (got {input.ndim}D input of "
                             f"shape {tuple(input.shape)})")
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"{name}({self.num_features}): expected input with "
                               f"{self.num_features} channels (dim 1), got shape "
                               f"{tuple(input.shape)}")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep else None,
                            self.running_var if keep else None, self.weight, self.bias,
                            use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self._use_bias}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input."""

    _dims = (4,)


class LayerNorm(Module):
    """y = (x - E[x]) / √(Var[x] + eps) · γ + β over the trailing ``normalized_shape`` dims of
    each sample (biased variance); γ (ones) and β (zeros) of that shape."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self._use_bias = elementwise_affine and bias
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dt))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self._use_bias}")
