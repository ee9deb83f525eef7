"""Pooling: max and average pooling over the last 1, 2 or 3 axes (stochastic pooling
is in pool_stochastic.py; adaptive pooling lives in nerve.ops.nn.pool_adaptive and is
re-exported here).

Every op works on x of shape (*, H, W) or (*, D, H, W) (1-D pooling has H = 1), in
whatever memory layout it comes. Max and average pooling loop over the ∏K kernel offsets,
each a strided view of the padded input covering all windows at once, so no Python loop
runs over positions; their backward scatters with one vectorised add (or assignment) per
kernel offset.
"""

from __future__ import annotations

import functools
import math
import operator

from nerve.autograd.function import Function
from nerve.autograd.grad_mode import is_grad_enabled
from nerve.backend import array_module, as_strided
from nerve.backend.parallel import over_batch
from nerve.dtypes import int64
from nerve.ops.linalg.linear_map import LinearMap, frozen
from nerve.ops.nn.conv import dims_tuple as conv_tuple
from nerve.ops.nn.im2col import _kernel_offsets
from nerve.ops.nn.pool_adaptive import (  # noqa: F401 - nerve.ops.nn.pool's public names
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    _as_2d,
    _detached,
    _from_2d,
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_bins,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
)

__all__ = ["avg_pool1d", "avg_pool2d", "avg_pool3d", "max_pool1d", "max_pool2d", "max_pool3d"]


class Geometry:
    """Window geometry of one pooling call: kernel, stride, padding (before, after, the
    extra 'after' covering ceil_mode's partial windows), dilation and output size."""

    def __init__(self, shape, kernel, stride, pad, dilation, out):
        self.shape = shape  # the input's (H, W) or (D, H, W)
        self.kernel, self.stride, self.dilation, self.out = kernel, stride, dilation, out
        # Pad enough after for the last (possibly partial) window to fit in the buffer.
        self.pad = tuple(
            (p, max(p, (o - 1) * s + d * (k - 1) + 1 - n - p))
            for n, k, s, p, d, o in zip(shape, kernel, stride, pad, dilation, out)
        )

    @property
    def non_overlapping(self) -> bool:
        return all(s >= d * (k - 1) + 1 for k, s, d in zip(self.kernel, self.stride, self.dilation))


def _padded_shape(x, g: Geometry) -> tuple:
    return x.shape[: -len(g.shape)] + tuple(n + a + b for n, (a, b) in zip(g.shape, g.pad))


def _inside(g: Geometry) -> tuple:
    """The index of the unpadded input inside the padded buffer."""
    return (Ellipsis, *(slice(a, a + n) for n, (a, _) in zip(g.shape, g.pad)))


def padded(x, g: Geometry, value):
    """(*, H, W) -> (*, Hp, Wp) (or with depth) filled with ``value`` outside x."""
    if not any(a or b for a, b in g.pad):
        return x
    xpad = array_module(x).full(_padded_shape(x, g), value, dtype=x.dtype)
    xpad[_inside(g)] = x
    return xpad


def offsets(xpad, g: Geometry):
    """For each kernel offset (p, q): the strided view (*, OH, OW) of the elements that
    offset picks from every window. Pooling loops over these ∏K views, never over
    positions."""
    for sl in _kernel_offsets(g.kernel, g.out, g.stride, g.dilation):
        yield xpad[(Ellipsis, *sl)]


def windows(xpad, g: Geometry):
    """(B, Hp, Wp) -> strided view (B, OH, OW, KH, KW) of every pooling window."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = g.kernel, g.stride, g.dilation, g.out
    s_b, s_h, s_w = xpad.strides
    return as_strided(
        xpad,
        (xpad.shape[0], oh, ow, kh, kw),
        (s_b, s_h * sh, s_w * sw, s_h * dh, s_w * dw),
        writeable=False,
    )


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
    xp, padded_shape = array_module(x), _padded_shape(x, g)
    tiled = all(
        s == k and d == 1 and o * s == n + p0 + p1
        for s, k, d, o, n, (p0, p1) in zip(g.stride, g.kernel, g.dilation, g.out, g.shape, g.pad)
    )
    if padded_shape == x.shape:
        return xp.empty_like(x) if tiled else xp.zeros_like(x)
    return xp.zeros(padded_shape, dtype=x.dtype)


def scatter_into(part, g: Geometry, dxp) -> None:
    disjoint = g.non_overlapping
    for k, view in enumerate(offsets(dxp, g)):
        if disjoint:
            part(k, view)
        else:
            view += part(k, None)


def unpadded(xpad, g: Geometry):
    return xpad[_inside(g)]


class MaxPool(Function):
    """Max pooling: y = max over the window of x (padding counts as -∞);
    ∂L/∂x = δ routed to the window's (first) maximum, summed where windows overlap.
    The second output holds the maxima's flat indices h·W + w into each input plane.
    Large batches run in chunks of samples on all cores (memory-bound passes)."""

    def forward(self, x, geometry=None, return_indices=False, needs_grad=True):
        g, xp = geometry, array_module(x)
        xpad = padded(x, g, -math.inf)
        # empty_like keeps the input's memory layout (e.g. a conv's channels-last output),
        # so every pass below streams through memory in order
        y = xp.empty_like(next(offsets(xpad, g)))

        def run(lo, hi):
            views, out = offsets(xpad[lo:hi], g), y[lo:hi]
            first, second = next(views), next(views, None)  # the first two straight into y
            xp.copyto(out, first) if second is None else xp.maximum(first, second, out=out)
            for v in views:
                xp.maximum(out, v, out=out)  # propagates NaN, as PyTorch

        over_batch(run, len(x), x.nbytes, like=x)
        # Backward finds the maxima again by comparing the offsets' views with y (cheaper
        # than keeping KH·KW masks built here, which inference would not need anyway).
        self.g, self.x, self.xpad, self.y = g, x, xpad, y
        if not return_indices:
            return y
        first = _first_max(xpad, y, g)
        idx = sum(m * xp.int64(k) for k, m in enumerate(first))
        return y, _flat_index(idx, g)

    def backward(self, dy, _dindices=None):
        if self.g.non_overlapping:
            return self._backward_disjoint(dy)
        g, y, xp = self.g, self.y, array_module(self.y)
        # What is left of δ for the offsets still to come: a window's first maximum takes it
        # all (ties go to the earliest offset, as in PyTorch), later equal ones get zero.
        rest = _like(y, dy)  # a copy in y's memory layout: the passes below stream in order
        dxp, last = grad_buffer(g, self.x), math.prod(g.kernel) - 1

        def run(lo, hi):
            views, r, yc = offsets(self.xpad[lo:hi], g), rest[lo:hi], y[lo:hi]

            def part(k, out):
                taken = xp.multiply(r, xp.equal(next(views), yc), out=out)
                if k < last:
                    xp.subtract(r, taken, out=r)
                return taken

            scatter_into(part, g, dxp[lo:hi])

        over_batch(run, len(y), dxp.nbytes, like=y)
        return unpadded(dxp, g)

    def _backward_disjoint(self, dy):
        """Disjoint windows (stride ≥ window): ∂L/∂x at offset k = δ · [x_k = y, no earlier
        offset held y], masks as bytes (m_k > seen is "m_k and not seen"): one comparison
        and one product per offset, no running remainder of δ."""
        g, y, xp = self.g, self.y, array_module(self.y)
        dy = dy if dy.strides == y.strides else _like(y, dy)  # passes stream in y's order
        dxp, last = grad_buffer(g, self.x), math.prod(g.kernel) - 1

        def run(lo, hi):
            yc, d, seen = y[lo:hi], dy[lo:hi], None
            pairs = zip(offsets(self.xpad[lo:hi], g), offsets(dxp[lo:hi], g))
            for k, (v, out) in enumerate(pairs):
                m = xp.equal(v, yc)
                if seen is None:
                    seen = m
                else:
                    xp.greater(m, seen, out=m)
                    if k < last:
                        xp.logical_or(seen, m, out=seen)
                xp.multiply(d, m, out=out)

        over_batch(run, len(y), dxp.nbytes, like=y)
        return unpadded(dxp, g)

    def backward_graph(self, dy, _dindices=None):
        """B δ routes δ to each window's first maximum; Bᵀ picks those elements out."""
        twin, g = frozen(self), self.g
        masks = _first_max(self.xpad, self.y, g)

        def pick(gx):
            out = 0
            for m, v in zip(masks, offsets(padded(gx, g, 0), g)):
                out = out + v * m
            return out

        return LinearMap.apply(dy, map=twin.backward, adjoint=pick)


def _first_max(xpad, y, g: Geometry) -> list:
    """One mask per kernel offset marking where that offset holds the window's first
    maximum (ties go to the earliest offset, as in PyTorch)."""
    masks, taken = [], None
    for v in offsets(xpad, g):
        m = v == y
        if taken is None:
            taken = m.copy()
        else:
            m &= ~taken
            taken |= m
        masks.append(m)
    return masks


def _like(ref, a):
    """``a`` copied into the memory layout of ``ref`` (same shape)."""
    out = array_module(ref).empty_like(ref, dtype=a.dtype)
    out[...] = a
    return out


def _flat_index(idx, g: Geometry):
    """Window-local argmax (*, OH, OW) -> flat index into the unpadded (H, W) plane
    ((D, H, W) volume): per axis, window start + offset·dilation, raveled."""
    xp, sp, flat = array_module(idx), len(g.shape), 0
    local = xp.unravel_index(idx.astype(int64), g.kernel)
    for i, (k, n, s, d, (p, _), o) in enumerate(
        zip(local, g.shape, g.stride, g.dilation, g.pad, g.out)
    ):
        start = xp.arange(o).reshape((-1,) + (1,) * (sp - i - 1)) * s - p
        flat = flat * n + start + k * d
    return flat


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
        xp = array_module(d)
        return scatter(lambda k, out: d if out is None else xp.copyto(out, d), self.g, self.x)

    def backward_graph(self, dy):
        """B δ spreads δ/d over each window; Bᵀ is this pooling itself."""
        twin = frozen(self)
        return LinearMap.apply(
            dy,
            map=twin.backward,
            adjoint=lambda gx: AvgPool().forward(gx, geometry=twin.g, divisor=twin.divisor),
        )


def avg_divisor(g: Geometry, count_include_pad: bool, divisor_override, dtype, xp):
    """PyTorch's divisor per output position (OH, OW) or (OD, OH, OW): the window clipped
    to the padded input (count_include_pad) or to the input itself; built with ``xp``
    (the input's array module), so it lives on the input's device."""
    if divisor_override:
        return xp.asarray(divisor_override, dtype=dtype)
    sizes, sp = [], len(g.shape)
    for i, (n, k, s, (p, _), o) in enumerate(zip(g.shape, g.kernel, g.stride, g.pad, g.out)):
        start = xp.arange(o) * s - p
        end = xp.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, n)
        sizes.append((end - start).reshape((1,) * i + (-1,) + (1,) * (sp - i - 1)))
    return functools.reduce(operator.mul, sizes).astype(dtype)


# ----- argument handling and the functional wrappers ---------------------------------------
def _tuple(v, n: int, name: str, op: str) -> tuple:
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
        raise RuntimeError(
            f"{op}: expected {dims + 1}D or {dims + 2}D input (batch "
            f"dimension optional), but got input of size: {list(x.shape)}"
        )
    k = _tuple(kernel_size, dims, "kernel_size", op)
    s = k if stride is None or stride == () or stride == [] else _tuple(stride, dims, "stride", op)
    p, d = _tuple(padding, dims, "padding", op), _tuple(dilation, dims, "dilation", op)
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise RuntimeError(
            f"{op}: kernel_size, stride and dilation must be positive, got "
            f"kernel_size={k}, stride={s}, dilation={d}"
        )
    if any(pi < 0 or pi > ki // 2 for pi, ki in zip(p, k)):
        raise RuntimeError(
            f"{op}: pad should be at most half of effective kernel size, but "
            f"got pad={p}, kernel_size={k}"
        )
    size = tuple(x.shape[-dims:])
    out = tuple(pool_output_size(*a, ceil_mode) for a in zip(size, k, s, p, d))
    if min(out) < 1:
        raise RuntimeError(
            f"{op}: Given input size: {tuple(x.shape[1:] if x.ndim == dims + 2 else x.shape)}. "
            f"Calculated output size: {out} from (W - K + 2P)/S + 1 with kernel {k}, stride "
            f"{s}, padding {p}. Output size is too small"
        )
    if dims == 1:
        size, k, s, d, out = ((1,) + t for t in (size, k, s, d, out))
        p = (0,) + p
    return Geometry(size, k, s, p, d, out)


def _max_pool(
    op,
    dims,
    input,
    kernel_size,
    stride,
    padding,
    dilation,
    ceil_mode,
    return_indices,
):
    g = _geometry(op, input, dims, kernel_size, stride, padding, dilation, ceil_mode)
    out = MaxPool.apply(
        _as_2d(input, dims),
        geometry=g,
        return_indices=return_indices,
        needs_grad=input.requires_grad and is_grad_enabled(),
    )
    if return_indices:
        out = (out[0], _detached(out[1]))
    return _from_2d(out, dims)


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """2-D max pooling of (N, C, H, W) or (C, H, W); stride defaults to kernel_size."""
    return _max_pool(
        "max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool1d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """1-D max pooling of (N, C, L) or (C, L); stride defaults to kernel_size."""
    return _max_pool(
        "max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool3d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """3-D max pooling of (N, C, D, H, W) or (C, D, H, W); stride defaults to kernel_size;
    indices are flat into each D·H·W volume."""
    return _max_pool(
        "max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def _avg_pool(
    op,
    dims,
    input,
    kernel_size,
    stride,
    padding,
    ceil_mode,
    count_include_pad,
    divisor_override,
):
    g = _geometry(op, input, dims, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    div = avg_divisor(g, count_include_pad, divisor_override, input.dtype, array_module(input))
    return _from_2d(AvgPool.apply(_as_2d(input, dims), geometry=g, divisor=div), dims)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """2-D average pooling of (N, C, H, W) or (C, H, W); stride defaults to kernel_size."""
    return _avg_pool(
        "avg_pool2d",
        2,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def avg_pool3d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """3-D average pooling of (N, C, D, H, W) or (C, D, H, W); stride defaults to
    kernel_size."""
    return _avg_pool(
        "avg_pool3d",
        3,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def avg_pool1d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
):
    """1-D average pooling of (N, C, L) or (C, L); stride defaults to kernel_size."""
    return _avg_pool(
        "avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )
