"""Normalization: Keras's input-normalisation layer, fitted on training data by ``adapt``.

``adapt(x)`` stores the per-feature mean μ and variance σ² of ``x`` (over every axis
but ``axis``) as buffers, so the statistics sit inside the model and travel with its
state_dict; the forward pass is y = (x - μ) / max(√σ², ε) with ε = 1e-7 (Keras's), and
with ``invert=True`` x = μ + y·√σ².
"""

from __future__ import annotations

from nerve.backend import array_module, to_device, to_host
from nerve.dtypes import float32, float64
from nerve.nn.module import Module
from nerve.tensor import Tensor

EPSILON = 1e-7


class Normalization(Module):
    """Shape: input (*, F, *) with the F features on ``axis`` (None: one mean and variance
    for all values); output the same shape. ``num_features`` makes the buffers before
    ``adapt`` (to load a state_dict into a fresh layer); ``mean``/``variance`` set them."""

    def __init__(
        self,
        axis: int | None = -1,
        mean=None,
        variance=None,
        invert: bool = False,
        num_features: int | None = None,
    ) -> None:
        super().__init__()
        self.axis, self.invert = axis, invert
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: give both mean and variance, or neither")
        if mean is not None:
            # the layer is built on the host (as every layer; .to(device) moves it)
            m = to_host(getattr(mean, "_data", mean)).astype(float32).reshape(-1)
            v = to_host(getattr(variance, "_data", variance)).astype(float32).reshape(-1)
        else:
            n = (1 if axis is None else num_features) or 0
            xp = array_module()
            m, v = xp.zeros(n, float32), xp.ones(n, float32)
        self.register_buffer("mean", Tensor._wrap(m))
        self.register_buffer("variance", Tensor._wrap(v))

    def adapt(self, data) -> Normalization:
        """Fit μ and σ² (the population variance, as Keras's) on ``data``."""
        x = getattr(data, "_data", None)
        x = (to_host(data) if x is None else x).astype(float64, copy=False)
        if self.axis is None:
            m, v = x.mean().reshape(1), x.var().reshape(1)
        else:
            if x.ndim == 0 or not -x.ndim <= self.axis < x.ndim:
                raise ValueError(
                    f"Normalization.adapt: axis {self.axis} is out of range for "
                    f"data of shape {x.shape}"
                )
            rest = tuple(i for i in range(x.ndim) if i != self.axis % x.ndim)
            m, v = x.mean(axis=rest), x.var(axis=rest)
        dtype = self.mean.dtype
        # the statistics are computed where the data is and kept where the layer is
        dev = self.mean.device
        self.mean._data = to_device(m.astype(dtype), dev)
        self.variance._data = to_device(v.astype(dtype), dev)
        return self

    def _shaped(self, t: Tensor, x: Tensor) -> Tensor:
        if self.axis is None:
            return t.reshape(())
        shape = [1] * x.ndim
        shape[self.axis % x.ndim] = t.shape[0]
        return t.reshape(shape)

    def forward(self, input: Tensor) -> Tensor:
        if self.mean.numel() == 0:
            raise RuntimeError("Normalization: call adapt(x) first, or pass mean and variance")
        if self.axis is not None and (
            input.ndim == 0 or input.shape[self.axis] != self.mean.shape[0]
        ):
            raise RuntimeError(
                f"Normalization: expected {self.mean.shape[0]} features on axis "
                f"{self.axis}, got input of shape {tuple(input.shape)}"
            )
        mean = self._shaped(self.mean, input)
        std = self._shaped(self.variance, input).sqrt()
        if self.invert:
            return mean + input * std
        return (input - mean) / std.clamp_min(EPSILON)

    def extra_repr(self) -> str:
        return f"axis={self.axis}, features={self.mean.numel()}, invert={self.invert}"
