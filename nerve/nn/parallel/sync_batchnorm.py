"""SyncBatchNorm: batch normalization whose batch statistics are those of the whole
batch across the ranks of a process group (torch.nn.SyncBatchNorm), for data-parallel
training where each rank's part of the batch is too small for good statistics.
"""

from __future__ import annotations

import numpy as np

from nerve.autograd.function import Function
from nerve.nn.normalization import _BatchNorm
from nerve.tensor import Tensor


def _sum_over_ranks(arr: np.ndarray, pg) -> np.ndarray:
    from nerve.distributed import all_reduce

    t = Tensor._wrap(np.ascontiguousarray(arr))
    all_reduce(t, group=pg)
    return t._data


class SyncBatchNormFn(Function):
    """x̂ = (x - μ) / √(σ² + ε),  y = γ x̂ + β, with μ, σ² over the M values per channel
    of every rank:  μ = Σᵣ Σ x / M,  σ² = Σᵣ Σ x² / M - μ².  Backward (δ = ∂L/∂y, sums
    over every rank's values of the channel):

        ∂L/∂x = γ / √(σ² + ε) · (δ - Σᵣ Σ δ / M - x̂ · Σᵣ Σ δ x̂ / M)
        ∂L/∂γ = Σ δ x̂,  ∂L/∂β = Σ δ   (this rank's part: DDP averages them)
    """

    def forward(self, x, w, b, pg=None, eps=1e-5, stats=None):
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)  # per channel, broadcast over (N, C, ...)
        local = np.stack(
            [
                x.sum(axes, dtype=np.float64),
                (x.astype(np.float64) ** 2).sum(axes),
                np.full(x.shape[1], x.size / x.shape[1]),
            ]
        )  # (3, C)
        s, q, m = _sum_over_ranks(local, pg)
        mean = s / m
        var = np.maximum(q / m - mean * mean, 0.0)
        inv = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        xhat = (x - mean.astype(x.dtype).reshape(shape)) * inv.reshape(shape)
        self.xhat, self.inv, self.w, self.pg, self.m = xhat, inv, w, pg, m
        self.axes, self.shape = axes, shape
        if stats is not None:  # the layer updates its running statistics from these
            stats.update(mean=mean, var=var, m=m[0])
        return xhat * w.reshape(shape) + b.reshape(shape)

    def backward(self, dy):
        axes, shape, xhat = self.axes, self.shape, self.xhat
        local_dy, local_dyx = dy.sum(axes), (dy * xhat).sum(axes)
        total = _sum_over_ranks(np.stack([local_dy, local_dyx]).astype(np.float64), self.pg)
        m = self.m[0]
        mean_dy = (total[0] / m).astype(dy.dtype).reshape(shape)
        mean_dyx = (total[1] / m).astype(dy.dtype).reshape(shape)
        dx = (self.w * self.inv).reshape(shape) * (dy - mean_dy - xhat * mean_dyx)
        return dx, local_dyx, local_dy


class SyncBatchNorm(_BatchNorm):
    """Batch normalization over the whole batch of all ranks of ``process_group`` (the
    default group when None) in training; like BatchNorm in evaluation, or when no group
    of several ranks is initialised. Same parameters, buffers and state_dict as the
    BatchNorm layers; any input of 2 or more dimensions (N, C, ...)."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group=None,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )
        self.process_group = process_group

    def _check_input(self, input: Tensor) -> None:  # noqa: A002 - torch's name
        if input.ndim < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got {input.ndim}D input)")
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"SyncBatchNorm({self.num_features}): expected input with "
                f"{self.num_features} channels (dim 1), got shape "
                f"{tuple(input.shape)}"
            )

    def forward(self, input: Tensor) -> Tensor:
        import nerve.distributed as dist

        self._check_input(input)
        if (
            not self.training
            or not dist.is_initialized()
            or dist.get_world_size(self.process_group) <= 1
        ):
            return super().forward(input)
        c, dt = self.num_features, input.dtype
        w = self.weight if self.weight is not None else Tensor._wrap(np.ones(c, dt))
        b = self.bias if self.bias is not None else Tensor._wrap(np.zeros(c, dt))
        stats: dict = {}
        out = SyncBatchNormFn.apply(input, w, b, pg=self.process_group, eps=self.eps, stats=stats)
        if self.track_running_stats:
            self._update_running(stats["mean"], stats["var"], stats["m"])
        return out

    def _update_running(self, mean, var, m) -> None:
        """running = (1 - momentum) running + momentum batch (unbiased variance)."""
        self.num_batches_tracked._data += 1
        f = 1.0 / float(self.num_batches_tracked._data) if self.momentum is None else self.momentum
        rm, rv = self.running_mean._data, self.running_var._data
        rm[...] = (1 - f) * rm + f * mean
        rv[...] = (1 - f) * rv + f * var * m / max(m - 1, 1)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm*d replaced by a SyncBatchNorm holding the same
        parameters and buffers (the module itself when it is a BatchNorm)."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
            )
            if module.affine:
                out.weight, out.bias = module.weight, module.bias
            if module.track_running_stats:
                out.running_mean, out.running_var = module.running_mean, module.running_var
                out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out
