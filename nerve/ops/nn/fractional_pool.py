"""Fractional max pooling (Graham 2014): max over KH×KW windows whose starts advance by a
non-integer step α = (n - k)/(out - 1), jittered by one random offset u ∈ [0, 1) per plane
and axis: start_i = ⌊(i + u)·α⌋ - ⌊u·α⌋, the last window flush with the end."""

from __future__ import annotations

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.backend.arrayfns import scatter_add
from nerve.creation import rand
from nerve.dtypes import int64
from nerve.ops.nn.pool import _detached
from nerve.ops.shape.rearrange import squeeze, unsqueeze
from nerve.tensor import Tensor

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices"]


def interval_starts(u, n: int, out: int, k: int):
    """Window starts (…, out) for samples u (…), computed in u's precision as PyTorch does,
    so that the same samples give the same windows."""
    xp = array_module(u)
    starts = xp.empty(u.shape + (out,), dtype=int64)
    if out > 1:
        alpha = u.dtype.type(n - k) / u.dtype.type(out - 1)
        i = xp.arange(out - 1, dtype=u.dtype)
        starts[..., :-1] = ((i + u[..., None]) * alpha).astype(int64) - (u * alpha).astype(int64)[
            ..., None
        ]
    starts[..., -1] = n - k
    return starts


class FractionalMaxPool(Function):
    """y = max of x over each window; ∂L/∂x = δ routed to the window's first maximum,
    summed where windows overlap. The second output holds flat indices h·W + w."""

    def forward(self, x, samples=None, kernel=(2, 2), out=(1, 1)):
        (n, c, h, w), xp = x.shape, array_module(x)
        (kh, kw), (oh, ow) = kernel, out
        rows = interval_starts(samples[..., 1], h, oh, kh)  # (N, C, OH)
        cols = interval_starts(samples[..., 0], w, ow, kw)  # (N, C, OW)
        # (N, C, OH, OW, KH·KW) flat indices of every window's elements
        r = rows[:, :, :, None, None, None] + xp.arange(kh)[:, None]
        q = cols[:, :, None, :, None, None] + xp.arange(kw)
        flat = (r * w + q).reshape(n, c, oh, ow, kh * kw)
        # take_along_axis needs matching ranks: the plane broadcast over the windows
        vals = xp.take_along_axis(
            xp.broadcast_to(x.reshape(n, c, 1, 1, h * w), (n, c, oh, ow, h * w)), flat, axis=-1
        )
        pick = xp.argmax(vals, axis=-1)[..., None]  # the first maximum (NaN wins, as max)
        y = xp.take_along_axis(vals, pick, axis=-1)[..., 0]
        self.idx, self.shape = xp.take_along_axis(flat, pick, axis=-1)[..., 0], x.shape
        return y, self.idx

    def backward(self, dy, _dindices=None):
        (n, c, h, w), xp = self.shape, array_module(dy)
        dx = xp.zeros((n * c, h * w), dtype=dy.dtype)
        scatter_add(
            dx, (xp.arange(n * c)[:, None], self.idx.reshape(n * c, -1)), dy.reshape(n * c, -1)
        )
        return dx.reshape(self.shape)


def _pair(v):
    return tuple(v) if isinstance(v, tuple | list) else (v, v)


def fractional_max_pool2d(
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices=False,
    _random_samples=None,
):
    """Fractional max pooling of (N, C, H, W) or (C, H, W) to output_size, or to
    ⌊H·ratio⌋ × ⌊W·ratio⌋; _random_samples (N, C, 2) fixes the jitter (default U[0, 1))."""

    op = "fractional_max_pool2d()"
    if output_size is None and output_ratio is None:
        raise ValueError(
            "fractional_max_pool2d requires specifying either an output_size or an output_ratio"
        )
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{op}: Expected 3D or 4D tensor, but got: {list(input.shape)}")
    h, w = input.shape[-2:]
    if output_size is None:
        ratio = _pair(output_ratio)
        output_size = (int(h * ratio[0]), int(w * ratio[1]))
    (kh, kw), (oh, ow) = _pair(kernel_size), _pair(output_size)
    if oh + kh - 1 > h:
        raise RuntimeError(f"{op}: pool height {kh} too large relative to input height {h}")
    if ow + kw - 1 > w:
        raise RuntimeError(f"{op}: pool width {kw} too large relative to input width {w}")
    x = unsqueeze(input, 0) if input.ndim == 3 else input
    if _random_samples is None:
        samples = rand(x.shape[0], x.shape[1], 2, dtype=input.dtype, device=input.device)._data
    else:
        # given samples (a tensor or host values) are copied explicitly to the input's device
        samples = array_module(input).asarray(
            _random_samples._data if isinstance(_random_samples, Tensor) else _random_samples
        )
        if samples.ndim != 3 or samples.shape[1] != x.shape[1]:
            raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
        if samples.shape[0] != x.shape[0] or samples.shape[2] != 2:
            raise RuntimeError(
                f"Expect _random_samples to be of shape ({x.shape[0]}, "
                f"{x.shape[1]}, 2), got {list(samples.shape)}"
            )
        samples = samples.astype(input.dtype, copy=False)
    y, idx = FractionalMaxPool.apply(x, samples=samples, kernel=(kh, kw), out=(oh, ow))
    idx = _detached(idx)
    if input.ndim == 3:
        y, idx = squeeze(y, 0), squeeze(idx, 0)
    return (y, idx) if return_indices else y


def fractional_max_pool2d_with_indices(
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices=False,
    _random_samples=None,
):
    return fractional_max_pool2d(
        input, kernel_size, output_size, output_ratio, True, _random_samples
    )
