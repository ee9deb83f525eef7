"""Convolution as im2col + one GEMM: every receptive field becomes a column, the kernel
bank a matrix, and the whole layer one matrix product (BLAS does the work).

Shapes: x (N, C, H, W), w (O, C/G, KH, KW), y (N, O, OH, OW) with the lecture's formula
OH = ⌊(H + 2P - D(K - 1) - 1) / S⌋ + 1 (= (W - K + 2P)/S + 1 for D = 1).
Conv1d is the same op with H = KH = 1.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from nerve.autograd.function import Function
from nerve.backend.parallel import over_batch

_KEEP_COLS_BYTES = 1 << 27  # 128 MiB
_COL2IM_BLOCK_BYTES = 1 << 20  # about a core's L2 cache
_K_MAJOR_CHANNELS = 4  # up to this many input channels, im2col builds Xᵀ (K-major)
_PER_SAMPLE_MAX_K = 64  # ∂L/∂W summed per sample up to this many kernel entries


class Conv(Function):
    """Convolution (cross-correlation, as in PyTorch), G groups of C/G input channels:

    y[n, o, i, j] = b[o] + Σ_{c ∈ group(o), p, q} w[o, c, p, q] x̃[n, c, Sₕi + Dₕp, S_w j + D_w q]

    with x̃ the zero-padded input. In matrix form per group, with X the im2col matrix
    (N·OH·OW, KH·KW·C/G) (one row per output pixel: its receptive field) and W the
    kernels as columns (KH·KW·C/G, O/G):
    Y = X W + b;  with δ = ∂L/∂Y:  ∂L/∂W = Xᵀ δ,  ∂L/∂b = Σ δ,  ∂L/∂X = δ Wᵀ,
    and ∂L/∂x = col2im(∂L/∂X): each row's entries are added back to the pixels they
    were copied from (one vectorised add per kernel offset).

    Memory layout: the GEMMs are tall (N·OH·OW rows), the fast shape for BLAS, so pixels
    are rows and channels columns. The output is the (N, O, OH, OW) view of that
    channels-last result, with no transposing copy; a following conv (after ReLU and
    pooling, which keep the layout) then reads it as channels-last for free.

    Two shortcuts, same results: with few input channels (a first layer) X is built
    transposed, one strided copy per kernel entry, with a row of ones so that b rides in
    the GEMM and Σ δ comes out of ∂L/∂W's; with stride 1 and enough input channels,
    ∂L/∂x is computed as a convolution of δ (``_input_grad_stride1``) instead of by
    col2im.
    """

    def forward(self, x, w, b=None, stride=(1, 1), padding=((0, 0), (0, 0)),
                dilation=(1, 1), groups=1):
        self.one_d = x.ndim == 3
        if self.one_d:  # (N, C, L) -> (N, C, 1, L); (O, C/G, K) -> (O, C/G, 1, K)
            x, w = x[:, :, None, :], w[:, :, None, :]
        n, c, h, wd = x.shape
        o, cg, kh, kw = w.shape
        (pt, pb), (pl, pr) = padding
        xp = pad_channels_last(x, pt, pb, pl, pr)  # (N, Hp, Wp, C)
        oh = (xp.shape[1] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        ow = (xp.shape[2] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        self.wm, self.groups, self.w_shape, self.padding = None, groups, w.shape, padding
        self.geometry = (x.shape, xp.shape, (kh, kw, oh, ow), (pt, pl), stride, dilation)
        # Few input channels (a first layer): K-major columns, a row of ones adding the bias
        self.k_major, self.ones = groups == 1 and c <= _K_MAJOR_CHANNELS, b is not None
        cols = self._columns(xp)
        # (O, C/G, KH, KW) -> (G, KH·KW·C/G, O/G): the kernels as GEMM columns
        self.wm = wm = np.ascontiguousarray(
            w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 4, 2, 1)
        ).reshape(groups, kh * kw * cg, o // groups)
        if self.k_major:
            y = cols.T @ (wm[0] if b is None else np.concatenate([wm[0], b[None]]))
        else:
            y = cols[0] @ wm[0] if groups == 1 else _ungroup(np.matmul(cols, wm))
            if b is not None:
                y += b
        # Keep the columns for ∂L/∂W unless they are huge (KH·KW times the input); then keep
        # the padded input and rebuild them in backward: memory over a second copy.
        self.cols = cols if cols.nbytes <= _KEEP_COLS_BYTES else None
        self.xp = xp if self.cols is None else None
        # (N·OH·OW, O) -> (N, OH, OW, O) -> the (N, O, OH, OW) view
        y = y.reshape(n, oh, ow, o).transpose(0, 3, 1, 2)
        return y[:, :, 0, :] if self.one_d else y

    def _columns(self, xp):
        """The im2col matrix of the padded input: (G, N·OH·OW, K), or (K (+1), N·OH·OW)."""
        _, _, (kh, kw, oh, ow), _, stride, dilation = self.geometry
        if self.k_major:
            return im2col_k_major(xp, kh, kw, oh, ow, stride, dilation, self.ones)
        return im2col(xp, kh, kw, oh, ow, stride, dilation, self.groups)

    def backward(self, dy):
        need_x, need_w, need_b = (*self.needs_input_grad, False)[:3]
        if self.one_d:
            dy = dy[:, :, None, :]
        g, (o, cg, kh, kw) = self.groups, self.w_shape
        # (N, O, OH, OW) -> (N·OH·OW, O); free when dy is channels-last already
        d2 = np.ascontiguousarray(dy.transpose(0, 2, 3, 1)).reshape(-1, o)
        db = dw = dx = None
        if need_b and not (need_w and self.k_major):  # else the ones row of ∂L/∂W gives it
            db = np.ones(d2.shape[0], d2.dtype) @ d2  # Σ δ as a GEMV: a fast reduction order
        if g > 1:  # (N·OH·OW, O) -> (G, N·OH·OW, O/G)
            d2 = np.ascontiguousarray(d2.reshape(-1, g, o // g).transpose(1, 0, 2))
        else:
            d2 = d2[None]
        if need_w:
            cols = self.cols if self.cols is not None else self._columns(self.xp)
            dwm = _weight_grad(cols, d2, self.geometry[0][0], self.k_major)
            if self.k_major and self.ones:  # (1, K + 1, O): the last row is Σ δ
                db, dwm = dwm[0, -1], dwm[:, :-1]
            # (G, KH·KW·C/G, O/G) -> (O, C/G, KH, KW)
            dw = dwm.reshape(g, kh, kw, cg, o // g).transpose(0, 4, 3, 1, 2).reshape(
                self.w_shape)
            dw = dw[:, :, 0, :] if self.one_d else np.ascontiguousarray(dw)
        if need_x:
            # Stride 1: ∂L/∂x as a convolution of δ, unless that GEMM would be narrow (few
            # input channels), where BLAS runs well below its rate and col2im is cheaper.
            as_conv = self.geometry[4] == (1, 1) and g == 1 and (cg >= o or cg >= 64)
            dx = self._input_grad_stride1(dy) if as_conv else None
            if dx is None:
                dx = self._input_grad(d2)
            if self.one_d:
                dx = dx[:, :, 0, :]
        return dx, dw, db

    def _input_grad(self, d2):
        """∂L/∂X = δ Wᵀ, then col2im: the general case (strides, groups)."""
        g, (_, _, kh, kw) = self.groups, self.w_shape
        n, oh, ow = self.geometry[0][0], *self.geometry[2][2:]
        wt = self.wm.transpose(0, 2, 1)
        # One GEMM (a batch of KH·KW small ones would contiguous-ify col2im's reads, but
        # each BLAS call pays a thread sync, ruinous on a busy machine)
        dcols = d2[0] @ wt[0] if g == 1 else _ungroup(np.matmul(d2, wt), kh * kw)
        # (N·OH·OW, KH·KW·C) -> (KH, KW, N, OH, OW, C)
        dcols = dcols.reshape(n, oh, ow, kh, kw, -1).transpose(3, 4, 0, 1, 2, 5)
        return col2im(dcols, *self.geometry)

    def _input_grad_stride1(self, dy):
        """With stride 1, ∂L/∂x is itself a convolution: of δ zero-padded by D(K-1) - P with
        the kernels flipped and in/out channels swapped,
        ∂L/∂x[n, c, h, w] = Σ_{o,p,q} δ̃[n, o, h + Dₕp, w + D_w q] w[o, c, KH-1-p, KW-1-q].
        One im2col copy of δ and one GEMM replace col2im's KH·KW strided adds.
        None when the padding exceeds D(K-1) (then δ̃ would need cropping)."""
        (n, c, h, w), _, (kh, kw, oh, ow), _, _, dilation = self.geometry
        (pt, pb), (pl, pr) = self.padding
        full = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
        if max(pt, pb) > full[0] or max(pl, pr) > full[1]:
            return None
        dyp = pad_channels_last(dy, full[0] - pt, full[0] - pb, full[1] - pl, full[1] - pr)
        cols = im2col(dyp, kh, kw, h, w, (1, 1), dilation)[0]  # (N·H·W, KH·KW·O)
        # (G=1, KH·KW·C, O) -> flipped (KH·KW·O, C): rows (KH-1-p, KW-1-q, o)
        wf = self.wm[0].reshape(kh, kw, c, -1)[::-1, ::-1].transpose(0, 1, 3, 2)
        dx = cols @ np.ascontiguousarray(wf).reshape(-1, c)
        # (N·H·W, C) -> the (N, C, H, W) view of channels-last memory
        return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def _weight_grad(cols, d2, n: int, k_major: bool = False):
    """Xᵀ δ per group, (G, K, N·OH·OW) @ (G, N·OH·OW, O/G); K-major columns are Xᵀ already.
    With few kernel entries (a first layer's K = C·KH·KW = 9 or 27) this is a long thin
    reduction that BLAS threads poorly (two threads took 0.6 s instead of 1.5 ms now and
    then on a busy machine); summing per-sample products is then faster and immune to
    thread stalls."""
    cols_t = cols[None] if k_major else cols.transpose(0, 2, 1)  # (G, K, N·OH·OW)
    g, k, rows = cols_t.shape
    if g == 1 and k <= _PER_SAMPLE_MAX_K and rows >= 8192 and rows % n == 0:
        per = rows // n  # (N, K, OH·OW) @ (N, OH·OW, O), summed over the batch
        return np.matmul(cols_t[0].reshape(k, n, per).transpose(1, 0, 2),
                         d2.reshape(n, per, -1)).sum(axis=0)[None]
    return (cols_t[0] @ d2[0])[None] if g == 1 else np.matmul(cols_t, d2)


def _ungroup(y, inner: int = 1):
    """(G, R, inner·F) per-group results -> (R, inner·G·F), groups interleaved inside each
    of the ``inner`` blocks (the channel axis is innermost in the im2col rows)."""
    g, r, f = y.shape
    return y.reshape(g, r, inner, f // inner).transpose(1, 2, 0, 3).reshape(r, -1)


def pad_channels_last(x, pt, pb, pl, pr):
    """(N, C, H, W) -> zero-padded channels-last (N, Hp, Wp, C), by one copy into a zeroed
    buffer (a plain view when x is channels-last in memory and needs no padding)."""
    n, c, h, w = x.shape
    xt = x.transpose(0, 2, 3, 1)
    if not (pt or pb or pl or pr):
        return np.ascontiguousarray(xt)
    xp = np.empty((n, h + pt + pb, w + pl + pr, c), dtype=x.dtype)

    def run(lo, hi):  # zero the border only: the interior is overwritten anyway
        part = xp[lo:hi]
        part[:, :pt] = 0
        part[:, pt + h:] = 0
        part[:, pt:pt + h, :pl] = 0
        part[:, pt:pt + h, pl + w:] = 0
        part[:, pt:pt + h, pl:pl + w] = xt[lo:hi]

    over_batch(run, n, xp.nbytes)
    return xp


def im2col(xp, kh, kw, oh, ow, stride, dilation, groups=1):
    """(N, Hp, Wp, C) -> contiguous (G, N·OH·OW, KH·KW·C/G): row (n, i, j) holds the
    receptive field of output pixel (i, j) of sample n, ordered (kernel row, kernel
    column, channel), so each kernel row is one contiguous run of the input."""
    n, c = xp.shape[0], xp.shape[3]
    s_n, s_h, s_w, s_c = xp.strides
    # A read-only strided view (N, OH, OW, KH, KW, C) of the padded input; one copy makes it
    # the GEMM operand.
    view = as_strided(xp, (n, oh, ow, kh, kw, c),
                      (s_n, s_h * stride[0], s_w * stride[1], s_h * dilation[0],
                       s_w * dilation[1], s_c), writeable=False)
    if groups == 1:
        cols = np.empty(view.shape, dtype=xp.dtype)
        over_batch(lambda lo, hi: np.copyto(cols[lo:hi], view[lo:hi]), n, cols.nbytes)
        return cols.reshape(1, n * oh * ow, kh * kw * c)
    # (N, OH, OW, KH, KW, G, C/G) -> (G, N·OH·OW, KH·KW·C/G)
    view = view.reshape(n, oh, ow, kh, kw, groups, c // groups)
    return np.ascontiguousarray(view.transpose(5, 0, 1, 2, 3, 4, 6)).reshape(
        groups, n * oh * ow, -1)


def im2col_k_major(xp, kh, kw, oh, ow, stride, dilation, ones=False):
    """(N, Hp, Wp, C) -> contiguous (KH·KW·C (+1), N·OH·OW), the transpose of im2col's
    matrix (same (kernel row, kernel column, channel) order), plus a row of ones when
    ``ones``. For few channels: a row is one strided copy of an input plane, where
    im2col's rows would be gathered C values at a time."""
    n, c = xp.shape[0], xp.shape[3]
    (sh, sw), (dh, dw), k = stride, dilation, kh * kw * c
    cols = np.empty((k + ones, n, oh, ow), dtype=xp.dtype)
    for p in range(kh):
        for q in range(kw):
            view = xp[:, p * dh:p * dh + sh * (oh - 1) + 1:sh,
                      q * dw:q * dw + sw * (ow - 1) + 1:sw]  # (N, OH, OW, C)
            i = (p * kw + q) * c
            cols[i:i + c] = view.transpose(3, 0, 1, 2)
    if ones:
        cols[k] = 1
    return cols.reshape(k + ones, -1)


def col2im(dcols, x_shape, xp_shape, kernel, pad, stride, dilation):
    """The transpose of im2col: add every entry of dcols (KH, KW, N, OH, OW, C) back to its
    input pixel. Looping over the KH·KW kernel offsets only (per cache-sized block of
    samples); each step is one strided add over (samples, OH, OW, C)."""
    n, c, h, w = x_shape
    kh, kw, oh, ow = kernel
    dxp = np.zeros(xp_shape, dtype=dcols.dtype)  # channels-last (N, Hp, Wp, C)
    sh, sw = stride
    # Cache blocking: a few samples at a time, so that the KH·KW adds into their part of
    # dxp hit the cache instead of streaming the whole gradient from memory each time.
    step = max(1, _COL2IM_BLOCK_BYTES // max(dxp[0].nbytes, 1))

    def run(lo, hi):  # samples [lo, hi): one chunk per core
        for b in range(lo, hi, step):
            part, src = dxp[b:min(b + step, hi)], dcols[:, :, b:min(b + step, hi)]
            for p in range(kh):
                r0 = p * dilation[0]
                rows = slice(r0, r0 + sh * (oh - 1) + 1, sh)
                for q in range(kw):
                    c0 = q * dilation[1]
                    part[:, rows, c0:c0 + sw * (ow - 1) + 1:sw] += src[p, q]

    over_batch(run, n, dxp.nbytes * kh * kw)
    pt, pl = pad
    # (N, Hp, Wp, C) -> the (N, C, H, W) view, channels-last like the forward input
    return dxp[:, pt:pt + h, pl:pl + w].transpose(0, 3, 1, 2)


# ----- argument handling and the functional wrappers ---------------------------------------
def _tuple(v, n: int, name: str, op: str) -> tuple:
    if isinstance(v, int):
        return (v,) * n
    v = tuple(v)
    if len(v) == 1:
        v = v * n
    if len(v) != n or not all(isinstance(i, int | np.integer) for i in v):
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {v}")
    return tuple(int(i) for i in v)


def conv_padding(padding, kernel: tuple, stride: tuple, dilation: tuple, op: str) -> tuple:
    """((before, after), ...) per spatial dim from an int, tuple, 'valid' or 'same'.
    'same' puts the odd extra pixel after, as PyTorch does."""
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise ValueError(f"{op}: invalid padding string '{padding}', should be one of "
                             "{'valid', 'same'}")
        if any(s != 1 for s in stride):
            raise RuntimeError(f"{op}: padding='same' is not supported for strided "
                               f"convolutions (stride={stride})")
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((t // 2, t - t // 2) for t in total)
    p = _tuple(padding, n, "padding", op)
    if any(v < 0 for v in p):
        raise RuntimeError(f"{op}: negative padding is not supported, got {p}")
    return tuple((v, v) for v in p)


def conv_output_size(op: str, size: tuple, kernel: tuple, pad: tuple, stride: tuple,
                     dilation: tuple) -> tuple:
    """OH = ⌊(H + P_before + P_after - D(K - 1) - 1) / S⌋ + 1 per spatial dim; a kernel larger
    than the padded input is an error naming the op, the input size and the formula."""
    out = []
    for i, (length, k, (p0, p1), s, d) in enumerate(zip(size, kernel, pad, stride, dilation)):
        padded, span = length + p0 + p1, d * (k - 1) + 1
        if span > padded:
            dil = f" (dilated {span})" if d > 1 else ""
            raise RuntimeError(
                f"{op}: kernel size {k}{dil} is larger than the padded input "
                f"size {padded} (input {length} + padding {p0 + p1}) in spatial dim {i}: "
                f"output size (W - K + 2P)/S + 1 = ({length} - {span} + {p0 + p1})/{s} + 1 = "
                f"{(padded - span) / s + 1:g} is not positive. Input size {tuple(size)}, "
                f"kernel {tuple(kernel)}")
        out.append((padded - span) // s + 1)
    return tuple(out)


def _check_conv(op: str, x, w, b, dims: int, groups: int) -> None:
    if w.ndim != dims + 2:
        raise RuntimeError(f"{op}: expected a weight of {dims + 2} dimensions (out_channels, "
                           f"in_channels/groups, {'kH, kW' if dims == 2 else 'kW'}), got shape "
                           f"{tuple(w.shape)}")
    if x.ndim != dims + 2:
        raise RuntimeError(f"{op}: expected {dims + 1}D (unbatched) or {dims + 2}D (batched) "
                           f"input, but got input of size: {list(x.shape)}")
    if groups < 1 or w.shape[0] % groups:
        raise RuntimeError(f"{op}: groups must be a positive divisor of out_channels "
                           f"{w.shape[0]}, got groups={groups}")
    if x.shape[1] != w.shape[1] * groups:
        raise RuntimeError(
            f"{op}: Given groups={groups}, weight of size {list(w.shape)}, expected "
            f"input{list(x.shape)} to have {w.shape[1] * groups} channels, but got "
            f"{x.shape[1]} channels instead")
    if b is not None and tuple(b.shape) != (w.shape[0],):
        raise RuntimeError(f"{op}: expected bias of shape ({w.shape[0]},) (out_channels), "
                           f"got {tuple(b.shape)}")
    for name, t in (("weight", w), ("bias", b)):
        if t is not None and t.dtype != x.dtype:
            raise RuntimeError(f"{op}: Input type ({x.dtype}) and {name} type ({t.dtype}) "
                               "should be the same")


def _conv(op, dims, input, weight, bias, stride, padding, dilation, groups):  # noqa: A002
    from nerve.ops.shape import reshape

    unbatched = input.ndim == dims + 1
    if unbatched:
        input = reshape(input, (1,) + tuple(input.shape))  # noqa: A001
    _check_conv(op, input, weight, bias, dims, groups)
    stride = _tuple(stride, dims, "stride", op)
    dilation = _tuple(dilation, dims, "dilation", op)
    if min(stride) < 1 or min(dilation) < 1:
        raise RuntimeError(f"{op}: stride and dilation must be positive, got stride={stride}, "
                           f"dilation={dilation}")
    kernel = tuple(weight.shape[2:])
    pad = conv_padding(padding, kernel, stride, dilation, op)
    conv_output_size(op, tuple(input.shape[2:]), kernel, pad, stride, dilation)
    if dims == 1:
        pad, stride, dilation = ((0, 0),) + pad, (1,) + stride, (1,) + dilation
    y = Conv.apply(input, weight, bias, stride=stride, padding=pad, dilation=dilation,
                   groups=groups)
    return reshape(y, tuple(y.shape[1:])) if unbatched else y


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """2-D convolution of input (N, C, H, W) or (C, H, W) with weight (O, C/groups, KH, KW);
    padding is an int, a pair, 'valid' or 'same'. See ``Conv``."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """1-D convolution of input (N, C, L) or (C, L) with weight (O, C/groups, K)."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)
