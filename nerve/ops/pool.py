"""Pooling: max, average, adaptive and stochastic pooling over the last 1 or 2 axes.

Every op works on x of shape (*, H, W) (1-D pooling has H = 1), in whatever memory layout
it comes. Max and average pooling loop over the KH·KW kernel offsets, each a strided view
of the padded input covering all windows at once, so no Python loop runs over positions;
their backward scatters with one vectorised add (or assignment) per kernel offset.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from nerve.autograd.function import Function
from nerve.backend.parallel import over_batch


class Geometry:
    """Window geometry of one pooling call: kernel, stride, padding (before, after, the
    extra 'after' covering ceil_mode's partial windows), dilation and output size."""

    def __init__(self, shape, kernel, stride, pad, dilation, out):
        self.shape = shape  # the input's (H, W)
        self.kernel, self.stride, self.dilation, self.out = kernel, stride, dilation, out
        # Pad enough after for the last (possibly partial) window to fit in the buffer.
        self.pad = tuple((p, max(p, (o - 1) * s + d * (k - 1) + 1 - n - p))
                         for n, k, s, p, d, o in zip(shape, kernel, stride, pad, dilation, out))

    @property
    def non_overlapping(self) -> bool:
        return all(s >= d * (k - 1) + 1 for k, s, d in
                   zip(self.kernel, self.stride, self.dilation))


def padded(x, g: Geometry, value):
    """(*, H, W) -> (*, Hp, Wp) filled with ``value`` outside x."""
    (pt, pb), (pl, pr) = g.pad
    if not (pt or pb or pl or pr):
        return x
    h, w = x.shape[-2:]
    xp = np.full(x.shape[:-2] + (h + pt + pb, w + pl + pr), value, dtype=x.dtype)
    xp[..., pt:pt + h, pl:pl + w] = x
    return xp


def offsets(xp, g: Geometry):
    """For each kernel offset (p, q): the strided view (*, OH, OW) of the elements that
    offset picks from every window. Pooling loops over these KH·KW views, never over
    positions."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = g.kernel, g.stride, g.dilation, g.out
    for p in range(kh):
        rows = slice(p * dh, p * dh + sh * (oh - 1) + 1, sh)
        for q in range(kw):
            yield xp[..., rows, q * dw:q * dw + sw * (ow - 1) + 1:sw]


def windows(xp, g: Geometry):
    """(B, Hp, Wp) -> strided view (B, OH, OW, KH, KW) of every pooling window."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = g.kernel, g.stride, g.dilation, g.out
    s_b, s_h, s_w = xp.strides
    return as_strided(xp, (xp.shape[0], oh, ow, kh, kw),
                      (s_b, s_h * sh, s_w * sw, s_h * dh, s_w * dw), writeable=False)


def scatter(part, g: Geometry, x):
    """The transpose of ``offsets``: add the gradient of each offset's view back into a
    zero gradient of x's shape (and memory layout). ``part(k, out)`` computes offset k's
    gradient, written into ``out`` when given (disjoint windows: no temporary)."""
    dxp = grad_buffer(g, x)
    scatter_into(part, g, dxp)
    return unpadded(dxp, g)


def grad_buffer(g: Geometry, x):
    """The gradient of the padded input, in x's memory layout: zeros, or uninitialised
    when the windows tile the input exactly (every element is written once)."""
    (pt, pb), (pl, pr) = g.pad
    h, w = g.shape
    padded_shape = x.shape[:-2] + (h + pt + pb, w + pl + pr)
    tiled = all(s == k and d == 1 and o * s == n + p0 + p1 for s, k, d, o, n, (p0, p1)
                in zip(g.stride, g.kernel, g.dilation, g.out, g.shape, g.pad))
    if padded_shape == x.shape:
        return np.empty_like(x) if tiled else np.zeros_like(x)
    return np.zeros(padded_shape, dtype=x.dtype)


def scatter_into(part, g: Geometry, dxp) -> None:
    disjoint = g.non_overlapping
    for k, view in enumerate(offsets(dxp, g)):
        if disjoint:
            part(k, view)
        else:
            view += part(k, None)


def unpadded(xp, g: Geometry):
    (pt, _), (pl, _) = g.pad
    return xp[..., pt:pt + g.shape[0], pl:pl + g.shape[1]]


class MaxPool(Function):
    """Max pooling: y = max over the window of x (padding counts as -∞);
    ∂L/∂x = δ routed to the window's (first) maximum, summed where windows overlap.
    The second output holds the maxima's flat indices h·W + w into each input plane.
    Large batches run in chunks of samples on all cores (memory-bound passes)."""

    def forward(self, x, geometry=None, return_indices=False, needs_grad=True):
        g = geometry
        xp = padded(x, g, -np.inf)
        # empty_like keeps the input's memory layout (e.g. a conv's channels-last output),
        # so every pass below streams through memory in order
        y = np.empty_like(next(offsets(xp, g)))

        def run(lo, hi):
            views, out = offsets(xp[lo:hi], g), y[lo:hi]
            np.copyto(out, next(views))
            for v in views:
                np.maximum(out, v, out=out)  # propagates NaN, as PyTorch

        over_batch(run, len(x), x.nbytes)
        # Backward finds the maxima again by comparing the offsets' views with y (cheaper
        # than keeping KH·KW masks built here, which inference would not need anyway).
        self.g, self.x, self.xp, self.y = g, x, xp, y
        if not return_indices:
            return y
        first = _first_max(xp, y, g)
        idx = sum(m * np.int64(k) for k, m in enumerate(first))
        return y, _flat_index(idx, g)

    def backward(self, dy, _dindices=None):
        g, y = self.g, self.y
        # What is left of δ for the offsets still to come: a window's first maximum takes it
        # all (ties go to the earliest offset, as in PyTorch), later equal ones get zero.
        rest = _like(y, dy)  # a copy in y's memory layout: the passes below stream in order
        dxp, last = grad_buffer(g, self.x), g.kernel[0] * g.kernel[1] - 1

        def run(lo, hi):
            views, r, yc = offsets(self.xp[lo:hi], g), rest[lo:hi], y[lo:hi]

            def part(k, out):
                taken = np.multiply(r, np.equal(next(views), yc), out=out)
                if k < last:
                    np.subtract(r, taken, out=r)
                return taken

            scatter_into(part, g, dxp[lo:hi])

        over_batch(run, len(y), dxp.nbytes)
        return unpadded(dxp, g)


def _first_max(xp, y, g: Geometry) -> list:
    """One mask per kernel offset marking where that offset holds the window's first
    maximum (ties go to the earliest offset, as in PyTorch)."""
    masks, taken = [], None
    for v in offsets(xp, g):
        m = np.equal(v, y)
        if taken is None:
            taken = m.copy()
        else:
            m &= ~taken
            taken |= m
        masks.append(m)
    return masks


def _like(ref, a):
    """``a`` copied into the memory layout of ``ref`` (same shape)."""
    out = np.empty_like(ref, dtype=a.dtype)
    out[...] = a
    return out


def _flat_index(idx, g: Geometry):
    """Window-local argmax (*, OH, OW) -> flat index into the unpadded (H, W) plane."""
    kw, (sh, sw), (dh, dw), (oh, ow) = g.kernel[1], g.stride, g.dilation, g.out
    (pt, _), (pl, _) = g.pad
    idx = idx.astype(np.int64)
    row = np.arange(oh)[:, None] * sh - pt + (idx // kw) * dh
    col = np.arange(ow)[None, :] * sw - pl + (idx % kw) * dw
    return row * g.shape[1] + col


class AvgPool(Function):
    """Average pooling: y = (1/d) Σ_window x, d the window size (or PyTorch's divisor for
    count_include_pad=False, ceil_mode's partial windows and divisor_override);
    ∂L/∂x = δ/d added to every element of the window."""

    def forward(self, x, geometry=None, divisor=None):
        g = geometry
        views = offsets(padded(x, g, 0), g)
        y = next(views).copy(order="K")
        for v in views:
            y += v
        y /= divisor
        self.g, self.divisor, self.x = g, divisor, x
        return y

    def backward(self, dy):
        d = dy / self.divisor
        return scatter(lambda k, out: d if out is None else np.copyto(out, d), self.g, self.x)


def avg_divisor(g: Geometry, count_include_pad: bool, divisor_override, dtype):
    """PyTorch's divisor per output position (OH, OW): the window clipped to the padded
    input (count_include_pad) or to the input itself."""
    if divisor_override:
        return np.asarray(divisor_override, dtype=dtype)
    sizes = []
    for n, k, s, (p, _), o in zip(g.shape, g.kernel, g.stride, g.pad, g.out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        sizes.append(end - start)
    return np.outer(sizes[0], sizes[1]).astype(dtype)


class AdaptiveAvgPool(Function):
    """Adaptive average pooling: output bin i covers [⌊iH/OH⌋, ⌈(i+1)H/OH⌉). Averaging is
    linear and separable, y = A_h x A_wᵀ with A[i, h] = 1/|bin i| for h in bin i, so
    ∂L/∂x = A_hᵀ δ A_w."""

    def forward(self, x, out=(1, 1)):
        self.ah, self.aw = (_bin_matrix(n, o, x.dtype) for n, o in zip(x.shape[-2:], out))
        # (*, H, W) @ (W, OW) -> (*, H, OW); then (OH, H) @ (*, H, OW) -> (*, OH, OW)
        return np.matmul(self.ah, x @ self.aw.T)

    def backward(self, dy):
        return np.matmul(self.ah.T, dy) @ self.aw


def adaptive_bins(n: int, out: int):
    """Start and end (exclusive) of each adaptive pooling bin, as PyTorch computes them."""
    i = np.arange(out)
    return (i * n) // out, -((-(i + 1) * n) // out)


def _bin_matrix(n: int, out: int, dtype):
    start, end = adaptive_bins(n, out)
    h = np.arange(n)
    inside = (h >= start[:, None]) & (h < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveMaxPool(Function):
    """Adaptive max pooling over PyTorch's bins (see ``adaptive_bins``): y = max over the
    bin; ∂L/∂x = δ routed to the bin's first maximum, summed where bins overlap.
    Bins are gathered as (B, OH, OW, KH·KW) with the short ones repeating their last
    index, which changes neither the max nor the first argmax."""

    def forward(self, x, out=(1, 1), return_indices=False):
        h, w = x.shape[-2:]
        x3 = x.reshape((-1, h, w))
        rows, cols = _bin_index(h, out[0]), _bin_index(w, out[1])
        # (B, OH, KH, OW, KW) -> (B, OH, OW, KH·KW)
        win = x3[:, rows[:, :, None, None], cols[None, None, :, :]]
        win = win.transpose(0, 1, 3, 2, 4).reshape(x3.shape[0], out[0], out[1], -1)
        idx = win.argmax(axis=-1)
        y = np.take_along_axis(win, idx[..., None], axis=-1)[..., 0]
        kw = cols.shape[1]
        oi, oj = np.arange(out[0])[:, None], np.arange(out[1])[None, :]
        self.flat = rows[oi, idx // kw] * w + cols[oj, idx % kw]  # (B, OH, OW) into H·W
        self.x_shape = x.shape
        y = y.reshape(x.shape[:-2] + y.shape[1:])
        return (y, self.flat.reshape(y.shape)) if return_indices else y

    def backward(self, dy, _dindices=None):
        b, hw = self.flat.shape[0], self.x_shape[-2] * self.x_shape[-1]
        target = (self.flat + (np.arange(b) * hw)[:, None, None]).reshape(-1)
        dx = np.bincount(target, weights=dy.reshape(-1), minlength=b * hw)
        return dx.astype(dy.dtype).reshape(self.x_shape)


def _bin_index(n: int, out: int):
    """(out, longest bin) indices of each bin, the short bins padded with their last index."""
    start, end = adaptive_bins(n, out)
    k = int((end - start).max())
    return np.minimum(start[:, None] + np.arange(k), end[:, None] - 1)


class StochasticPool(Function):
    """Stochastic pooling (Zeiler & Fergus, 2013) of non-negative activations a with
    p_i = a_i / Σ_window a. Training: y = a_k with k drawn from p, so ∂L/∂a_k = δ (as
    max pooling routes it). Evaluation: y = Σ p_i a_i = Σ a_i² / S (S = Σ a), so
    ∂L/∂a_i = δ (2 a_i - y) / S; zero where the window is all zero (S = 0)."""

    def forward(self, x, geometry=None, training=True, rng=None):
        g, lead = geometry, x.shape[:-2]
        x3 = x.reshape((-1,) + x.shape[-2:])
        win = windows(padded(x3, g, 0), g)
        flat = win.reshape(win.shape[:3] + (-1,))  # (B, OH, OW, KH·KW)
        total = flat.sum(axis=-1)
        self.g, self.training, self.x_shape, self.dtype = g, training, x.shape, x.dtype
        self.x3 = x3
        if training:
            # Inverse-CDF sampling: the first position whose cumulative sum passes u·S.
            u = rng.random(total.shape).astype(x.dtype) * total
            idx = (np.cumsum(flat, axis=-1) <= u[..., None]).sum(axis=-1)
            self.idx = np.minimum(idx, flat.shape[-1] - 1)
            y = np.take_along_axis(flat, self.idx[..., None], axis=-1)[..., 0]
        else:
            safe = np.where(total > 0, total, 1)
            y = (flat * flat).sum(axis=-1) / safe
            self.flat, self.total, self.safe, self.y = flat, total, safe, y
        return y.reshape(lead + y.shape[1:])

    def backward(self, dy):
        g = self.g
        dy3 = dy.reshape((-1,) + g.out)
        if self.training:
            dwin = np.zeros(dy3.shape + (g.kernel[0] * g.kernel[1],), dtype=self.dtype)
            np.put_along_axis(dwin, self.idx[..., None], dy3[..., None], axis=-1)
        else:
            scale = np.where(self.total > 0, dy3 / self.safe, 0)
            dwin = (2 * self.flat - self.y[..., None]) * scale[..., None]
        dwin = dwin.astype(self.dtype, copy=False)
        return scatter(lambda k, out: dwin[..., k] if out is None else np.copyto(out, dwin[..., k]),
                       g, self.x3).reshape(self.x_shape)


# ----- argument handling and the functional wrappers ---------------------------------------
def _tuple(v, n: int, name: str, op: str) -> tuple:
    from nerve.ops.conv import _tuple as conv_tuple

    return conv_tuple(v, n, name, op)


def pool_output_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """⌊(n + 2p - d(k - 1) - 1) / s⌋ + 1 (⌈…⌉ in ceil_mode, where the last window must
    still start inside the input or its left padding), as PyTorch computes it."""
    span = d * (k - 1) + 1
    out = (n + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _geometry(op, x, dims, kernel_size, stride, padding, dilation, ceil_mode) -> Geometry:
    if x.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}: expected {dims + 1}D or {dims + 2}D input (batch "
                           f"dimension optional), but got input of size: {list(x.shape)}")
    k = _tuple(kernel_size, dims, "kernel_size", op)
    s = k if stride is None or stride == () or stride == [] else _tuple(stride, dims,
                                                                          "stride", op)
    p, d = _tuple(padding, dims, "padding", op), _tuple(dilation, dims, "dilation", op)
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be positive, got "
                           f"kernel_size={k}, stride={s}, dilation={d}")
    if any(pi < 0 or pi > ki // 2 for pi, ki in zip(p, k)):
        raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but "
                           f"got pad={p}, kernel_size={k}")
    size = tuple(x.shape[-dims:])
    out = tuple(pool_output_size(*a, ceil_mode) for a in zip(size, k, s, p, d))
    if min(out) < 1:
        raise RuntimeError(
            f"{op}: Given input size: {tuple(x.shape[1:] if x.ndim == dims + 2 else x.shape)}. "
            f"Calculated output size: {out} from (W - K + 2P)/S + 1 with kernel {k}, stride "
            f"{s}, padding {p}. Output size is too small")
    if dims == 1:
        size, k, s, d, out = ((1,) + t for t in (size, k, s, d, out))
        p = (0,) + p
    return Geometry(size, k, s, p, d, out)


def _as_2d(x, dims: int):
    """1-D pooling is 2-D pooling with H = 1: (*, L) -> (*, 1, L)."""
    from nerve.ops.shape import unsqueeze

    return unsqueeze(x, -2) if dims == 1 else x


def _from_2d(y, dims: int):
    from nerve.ops.shape import squeeze

    if isinstance(y, tuple):
        return tuple(_from_2d(t, dims) for t in y)
    return squeeze(y, -2) if dims == 1 else y


def _max_pool(op, dims, input, kernel_size, stride, padding, dilation, ceil_mode,  # noqa: A002
              return_indices):
    g = _geometry(op, input, dims, kernel_size, stride, padding, dilation, ceil_mode)
    from nerve.autograd.grad_mode import is_grad_enabled

    out = MaxPool.apply(_as_2d(input, dims), geometry=g, return_indices=return_indices,
                        needs_grad=input.requires_grad and is_grad_enabled())
    if return_indices:
        out = (out[0], _detached(out[1]))
    return _from_2d(out, dims)


def _detached(t):
    return type(t)._wrap(t._data)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode=False, return_indices=False):
    """2-D max pooling of (N, C, H, W) or (C, H, W); stride defaults to kernel_size."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode=False, return_indices=False):
    """1-D max pooling of (N, C, L) or (C, L); stride defaults to kernel_size."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def _avg_pool(op, dims, input, kernel_size, stride, padding, ceil_mode,  # noqa: A002
              count_include_pad, divisor_override):
    g = _geometry(op, input, dims, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    div = avg_divisor(g, count_include_pad, divisor_override, input.dtype)
    return _from_2d(AvgPool.apply(_as_2d(input, dims), geometry=g, divisor=div), dims)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None):
    """2-D average pooling of (N, C, H, W) or (C, H, W); stride defaults to kernel_size."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True):
    """1-D average pooling of (N, C, L) or (C, L); stride defaults to kernel_size."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def _adaptive_size(op, x, dims, output_size) -> tuple:
    if x.ndim not in (dims + 1, dims + 2) or min(x.shape[-dims:]) < 1:
        raise RuntimeError(f"{op}: expected {dims + 1}D or {dims + 2}D input with non-zero "
                           f"spatial size, but got input of size: {list(x.shape)}")
    sizes = (output_size,) * dims if output_size is None or isinstance(output_size, int) \
        else tuple(output_size)
    if len(sizes) != dims:
        raise ValueError(f"{op}: output_size must be an int or a tuple of {dims}, got "
                         f"{output_size}")
    out = tuple(n if o is None else int(o) for o, n in zip(sizes, x.shape[-dims:]))
    if min(out) < 1:
        raise RuntimeError(f"{op}: output_size must be positive, got {out}")
    return ((1,) + out) if dims == 1 else out


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    """Average over PyTorch's adaptive bins to an (OH, OW) output; output_size 1 is
    global average pooling."""
    out = _adaptive_size("adaptive_avg_pool2d", input, 2, output_size)
    if out == (1, 1):  # global average pooling: one mean, no bin matrices
        from nerve.ops.reduce import mean

        return mean(input, dim=(-2, -1), keepdim=True)
    return AdaptiveAvgPool.apply(input, out=out)


def adaptive_avg_pool1d(input, output_size):  # noqa: A002
    out = _adaptive_size("adaptive_avg_pool1d", input, 1, output_size)
    return _from_2d(AdaptiveAvgPool.apply(_as_2d(input, 1), out=out), 1)


def _adaptive_max(op, dims, input, output_size, return_indices):  # noqa: A002
    out = _adaptive_size(op, input, dims, output_size)
    y = AdaptiveMaxPool.apply(_as_2d(input, dims), out=out, return_indices=return_indices)
    if return_indices:
        y = (y[0], _detached(y[1]))
    return _from_2d(y, dims)


def adaptive_max_pool2d(input, output_size, return_indices=False):  # noqa: A002
    """Max over PyTorch's adaptive bins to an (OH, OW) output; 1 is global max pooling."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):  # noqa: A002
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def stochastic_pool2d(input, kernel_size, stride=None, training=True,  # noqa: A002
                      generator=None):
    """Stochastic pooling of non-negative activations (N, C, H, W): in training each
    window outputs one of its values drawn with probability a_i / Σ a, in evaluation the
    probability-weighted average Σ a_i² / Σ a. See ``StochasticPool``."""
    from nerve import random

    g = _geometry("stochastic_pool2d", input, 2, kernel_size, stride, 0, 1, False)
    if input.numel() and float(input._data.min()) < 0:
        raise ValueError(f"stochastic_pool2d: expects non-negative activations (apply ReLU "
                         f"first), got a minimum of {float(input._data.min()):g}")
    return StochasticPool.apply(input, geometry=g, training=training,
                                rng=random.rng(generator))
