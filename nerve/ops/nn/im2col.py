"""im2col and its transpose col2im: every receptive field of a channels-last padded input
as one row (or column) of a matrix, so that a convolution is one GEMM (nerve/ops/nn/conv.py),
and the adjoint that adds each column back to its pixels. Used by conv, conv_transpose,
fold/unfold and the pools' window views."""

from __future__ import annotations

import itertools
import math

from nerve.backend import array_module, as_strided, ascontiguousarray
from nerve.backend.parallel import over_batch

__all__: list[str] = []

_COL2IM_BLOCK_BYTES = 1 << 20  # about a core's L2 cache


def pad_channels_last(x, *pads):
    """(N, C, *S) -> zero-padded channels-last (N, *Sp, C), by one copy into a zeroed
    buffer (a plain view when x is channels-last in memory and needs no padding).
    ``pads`` are (before, after) per spatial dim, flattened: pt, pb, pl, pr for 2-D."""
    n, c, *size = x.shape
    sp = len(size)
    xt = x.transpose(0, *range(2, sp + 2), 1)
    if not any(pads):
        return ascontiguousarray(xt)
    before, after = pads[0::2], pads[1::2]
    xpad = array_module(x).empty(
        (n, *(s + a + b for s, a, b in zip(size, before, after)), c), dtype=x.dtype
    )
    inner = tuple(slice(b, b + s) for b, s in zip(before, size))

    def run(lo, hi):  # zero the border only: the interior is overwritten anyway
        part = xpad[lo:hi]
        for i in range(sp):  # the slabs before and after along dim i, inside dims < i
            part[(slice(None), *inner[:i], slice(0, before[i]))] = 0
            part[(slice(None), *inner[:i], slice(before[i] + size[i], None))] = 0
        part[(slice(None), *inner)] = xt[lo:hi]

    over_batch(run, n, xpad.nbytes, like=x)
    return xpad


def im2col(xpad, kh, kw, oh, ow, stride, dilation, groups=1):
    """2-D ``im2col_nd``, in the (KH, KW, OH, OW) form ``nerve.ops.shape.fold`` calls it with."""
    return im2col_nd(xpad, (kh, kw), (oh, ow), stride, dilation, groups)


def im2col_nd(xpad, kernel, out, stride, dilation, groups=1):
    """(N, *Sp, C) -> contiguous (G, N·∏O, ∏K·C/G): row (n, i, j) holds the receptive
    field of output pixel (i, j) of sample n, ordered (kernel row, kernel column, channel),
    so each kernel row is one contiguous run of the input (depth first in 3-D)."""
    n, c = xpad.shape[0], xpad.shape[-1]
    s_n, *s_sp, s_c = xpad.strides
    # A read-only strided view (N, *O, *K, C) of the padded input; one copy makes it the
    # GEMM operand.
    view = as_strided(
        xpad,
        (n, *out, *kernel, c),
        (
            s_n,
            *(t * s for t, s in zip(s_sp, stride)),
            *(t * d for t, d in zip(s_sp, dilation)),
            s_c,
        ),
        writeable=False,
    )
    rows, k, xp = n * math.prod(out), math.prod(kernel) * c, array_module(xpad)
    if groups == 1:
        cols = xp.empty(view.shape, dtype=xpad.dtype)
        over_batch(lambda lo, hi: xp.copyto(cols[lo:hi], view[lo:hi]), n, cols.nbytes, like=xpad)
        return cols.reshape(1, rows, k)
    # (N, *O, *K, G, C/G) -> (G, N·∏O, ∏K·C/G)
    view = view.reshape(*view.shape[:-1], groups, c // groups)
    return ascontiguousarray(xp.moveaxis(view, -2, 0)).reshape(groups, rows, -1)


def _kernel_offsets(kernel, out, stride, dilation):
    """For each kernel offset (p, q, ...), in im2col's order: the slices of the padded
    input (one per spatial dim) it reads for every output position."""
    ranges = [
        [slice(p * d, p * d + s * (o - 1) + 1, s) for p in range(k)]
        for k, o, s, d in zip(kernel, out, stride, dilation)
    ]
    return itertools.product(*ranges)


def im2col_k_major(xpad, kernel, out, stride, dilation, ones=False):
    """(N, *Sp, C) -> contiguous (∏K·C (+1), N·∏O), the transpose of im2col's matrix
    (same (kernel row, kernel column, channel) order), plus a row of ones when ``ones``.
    For few channels: a row is one strided copy of an input plane, where im2col's rows
    would be gathered C values at a time."""
    n, c, sp = xpad.shape[0], xpad.shape[-1], len(kernel)
    k = math.prod(kernel) * c
    cols = array_module(xpad).empty((k + ones, n, *out), dtype=xpad.dtype)
    for i, sl in enumerate(_kernel_offsets(kernel, out, stride, dilation)):
        view = xpad[(slice(None), *sl)]  # (N, *O, C)
        cols[i * c : (i + 1) * c] = view.transpose(sp + 1, *range(sp + 1))
    if ones:
        cols[k] = 1
    return cols.reshape(k + ones, -1)


def col2im(dcols, x_shape, xp_shape, sizes, pad, stride, dilation):
    """The transpose of im2col: add every entry of dcols (*K, N, *O, C) back to its input
    pixel; ``sizes`` is (*K, *O). Looping over the ∏K kernel offsets only (per cache-sized
    block of samples); each step is one strided add over (samples, *O, C)."""
    n, sp = x_shape[0], len(stride)
    kernel, out = sizes[:sp], sizes[sp:]
    dxp = array_module(dcols).zeros(xp_shape, dtype=dcols.dtype)  # channels-last (N, *Sp, C)
    src_all = dcols.reshape(-1, *dcols.shape[sp:])  # (∏K, N, *O, C)
    # Cache blocking: a few samples at a time, so that the ∏K adds into their part of
    # dxp hit the cache instead of streaming the whole gradient from memory each time.
    step = max(1, _COL2IM_BLOCK_BYTES // max(dxp[0].nbytes, 1))
    offs = list(_kernel_offsets(kernel, out, stride, dilation))

    def run(lo, hi):  # samples [lo, hi): one chunk per core
        for b in range(lo, hi, step):
            part, src = dxp[b : min(b + step, hi)], src_all[:, b : min(b + step, hi)]
            for i, sl in enumerate(offs):
                part[(slice(None), *sl)] += src[i]

    over_batch(run, n, dxp.nbytes * len(offs), like=dcols)
    # (N, *Sp, C) -> the (N, C, *S) view, channels-last like the forward input
    crop = tuple(slice(p, p + s) for p, s in zip(pad, x_shape[2:]))
    return dxp[(slice(None), *crop)].transpose(0, sp + 1, *range(1, sp + 1))
