"""Convolution as im2col + one GEMM: every receptive field becomes a column, the kernel
bank a matrix, and the whole layer one matrix product (BLAS does the work).

Shapes: x (N, C, H, W), w (O, C/G, KH, KW), y (N, O, OH, OW) with the lecture's formula
OH = ⌊(H + 2P - D(K - 1) - 1) / S⌋ + 1 (= (W - K + 2P)/S + 1 for D = 1).
Conv1d is the same op with H = KH = 1.

3x3 stride-1 2-D convolutions (one group, no dilation, padding ≤ 2, float32/64) may run
by Winograd's minimal filtering instead (nerve/ops/nn/winograd.py), forward and ∂L/∂x each
where ``winograd.select``'s measured rule says it is faster; im2col stays the reference.
NERVE_CONV3X3 (or ``winograd.CONV3X3``) forces a path: "im2col", "f2", "f4" or "auto".
"""

from __future__ import annotations

import math
import numbers

from nerve.autograd.function import Function, autocast_covers
from nerve.backend import array_module, ascontiguousarray
from nerve.ops.nn import conv_shards, winograd
from nerve.ops.nn.im2col import col2im, im2col_k_major, im2col_nd, pad_channels_last
from nerve.ops.shape.indexing import GetItem
from nerve.ops.shape.padding import Pad
from nerve.ops.shape.rearrange import reshape

__all__ = ["conv1d", "conv2d", "conv3d"]

_KEEP_COLS_BYTES = 1 << 27  # 128 MiB
_K_MAJOR_CHANNELS = 4  # up to this many input channels, im2col builds Xᵀ (K-major)
_PER_SAMPLE_MAX_K = 64  # ∂L/∂W summed per sample up to this many kernel entries


class Conv(Function):
    """Convolution (cross-correlation, as in PyTorch), G groups of C/G input channels:

    y[n, o, i, j] = b[o] + Σ_{c ∈ group(o), p, q} w[o, c, p, q] x̃[n, c, Sₕi + Dₕp, S_w j + D_w q]

    with x̃ the zero-padded input (written for 2-D; 3-D adds a depth index the same way).
    In matrix form per group, with X the im2col matrix (N·OH·OW, KH·KW·C/G) (one row per
    output pixel: its receptive field) and W the kernels as columns (KH·KW·C/G, O/G):
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

    def forward(
        self, x, w, b=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1
    ):
        params = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        self.parts, self.in_shard = None, False
        if x.ndim == 4:  # a large 2-D im2col conv runs in batch shards, one per free core
            size = [
                (s + a + z - d * (k - 1) - 1) // t + 1
                for s, (a, z), k, t, d in zip(x.shape[2:], padding, w.shape[2:], stride, dilation)
            ]
            shards = conv_shards.shards_for(x, w, size, groups)
            spec = (x.shape[1], w.shape[0], x.shape[2:], w.shape[2:], stride, dilation, groups)
            if shards and not winograd.tile_for(*spec, padding, x.dtype, sharded=True):
                return conv_shards.forward(self, shards, x, w, b, size, params)
        return self._forward_serial(x, w, b, **params)

    def _forward_serial(self, x, w, b, stride, padding, dilation, groups, into=None):
        """The whole batch in this thread; ``into``, when given, is a channels-last
        (N, OH, OW, O) buffer the output is written to (a shard's rows of the batch)."""
        self.one_d, self.parts = x.ndim == 3, None
        if self.one_d:  # (N, C, L) -> (N, C, 1, L); (O, C/G, K) -> (O, C/G, 1, K)
            x, w = x[:, :, None, :], w[:, :, None, :]
        n, c = x.shape[:2]
        o, cg, *kernel = w.shape
        xp = array_module(x)
        self.wm, self.groups, self.w_shape, self.padding = None, groups, w.shape, padding
        self.tile = (
            0
            if self.one_d
            else winograd.tile_for(
                c, o, x.shape[2:], kernel, stride, dilation, groups, padding, x.dtype, self.in_shard
            )
        )
        if self.tile:
            self.geometry = (x.shape, None, None, None, stride, dilation)
            return self._forward_winograd(x, w, b, into)
        xpad = pad_channels_last(x, *(v for pair in padding for v in pair))  # (N, *Sp, C)
        out = tuple(
            (size - d * (k - 1) - 1) // s + 1
            for size, k, s, d in zip(xpad.shape[1:-1], kernel, stride, dilation)
        )
        self.geometry = (
            x.shape,
            xpad.shape,
            (*kernel, *out),
            tuple(p for p, _ in padding),
            stride,
            dilation,
        )
        # Few input channels (a first layer): K-major columns, a row of ones adding the bias
        self.k_major, self.ones = groups == 1 and c <= _K_MAJOR_CHANNELS, b is not None
        cols = self._columns(xpad)
        # (O, C/G, *K) -> (G, ∏K·C/G, O/G): the kernels as GEMM columns
        sp = len(kernel)
        self.wm = wm = ascontiguousarray(
            w.reshape(groups, o // groups, cg, *kernel).transpose(0, *range(3, 3 + sp), 2, 1)
        ).reshape(groups, -1, o // groups)
        y2 = None if into is None else into.reshape(-1, o)  # a contiguous buffer's rows
        if self.k_major:
            wb = wm[0] if b is None else xp.concatenate([wm[0], b[None]])
            y = xp.matmul(cols.T, wb, out=y2)
        else:
            y = xp.matmul(cols[0], wm[0], out=y2) if groups == 1 else _ungroup(xp.matmul(cols, wm))
            if b is not None:
                y += b
            if y2 is not None and y is not y2:
                y2[...] = y
        # Keep the columns for ∂L/∂W unless they are huge (∏K times the input); then keep
        # the padded input and rebuild them in backward: memory over a second copy.
        self.cols = cols if cols.nbytes <= _KEEP_COLS_BYTES else None
        self.xpad = xpad if self.cols is None else None
        # (N·∏O, O) -> (N, *O, O) -> the (N, O, *O) view
        y = y.reshape(n, *out, o).transpose(0, sp + 1, *range(1, sp + 1))
        return y[:, :, 0, :] if self.one_d else y

    def _forward_winograd(self, x, w, b, into=None):
        """y by F(m×m, 3×3); keeps V (the transformed input tiles) for ∂L/∂W, or x itself
        when V is huge, and w for ∂L/∂x."""
        y, v = winograd.winograd_conv(x, w, self.padding, self.tile, b, keep_tiles=True)
        if into is not None:
            into[...] = y
            y = into
        self.v = v if v.nbytes <= _KEEP_COLS_BYTES else None
        self.x, self.w = (x if self.v is None else None), w
        return y.transpose(0, 3, 1, 2)  # channels-last (N, OH, OW, O) -> the (N, O, OH, OW) view

    def _backward_winograd(self, dy, need_x, need_w, need_b):
        """∂L/∂W from V, ∂L/∂x as a Winograd or im2col convolution of δ (``select`` again,
        for the swapped channels), ∂L/∂b = Σ δ."""
        m, w, size = self.tile, self.w, self.geometry[0][2:]
        o, c = w.shape[:2]
        dx = dw = db = None
        if need_b:
            ones = array_module(dy).ones(dy[:, 0].size, dy.dtype)
            db = ones @ dy.transpose(0, 2, 3, 1).reshape(-1, o)
        if need_w:
            v = self.v
            if v is None:
                v = winograd.winograd_conv(self.x, w, self.padding, m, keep_tiles=True)[1]
            dw = winograd.winograd_weight_grad(
                v, dy, m, winograd.geometry(size, self.padding, m)[1]
            )
        if need_x:
            dx = self._input_grad_winograd(dy, w)
            if dx is None:  # (O, C, 3, 3) -> (1, 3·3·C, O), im2col's kernel matrix
                self.wm = ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(1, -1, o)
                dx = self._input_grad_stride1(dy)
        return dx, dw, db

    def _input_grad_winograd(self, dy, w):
        """∂L/∂x by Winograd where ``tile_for`` picks it for the O -> C convolution of δ
        (padded by 2 - P), else None."""
        full = tuple((2 - a, 2 - b) for a, b in self.padding)
        m = (
            0
            if self.one_d
            else winograd.tile_for(
                w.shape[0],
                w.shape[1],
                dy.shape[2:],
                w.shape[2:],
                self.geometry[4],
                self.geometry[5],
                self.groups,
                full,
                dy.dtype,
                self.in_shard,
            )
        )
        return (
            winograd.winograd_input_grad(dy, w, self.padding, m).transpose(0, 3, 1, 2)
            if m
            else None
        )

    def _columns(self, xpad):
        """The im2col matrix of the padded input: (G, N·∏O, K), or (K (+1), N·∏O)."""
        _, _, sizes, _, stride, dilation = self.geometry
        kernel, out = sizes[: len(stride)], sizes[len(stride) :]
        if self.k_major:
            return im2col_k_major(xpad, kernel, out, stride, dilation, self.ones)
        return im2col_nd(xpad, kernel, out, stride, dilation, self.groups)

    def backward(self, dy):
        if self.parts:
            return conv_shards.backward(self, dy)
        need_x, need_w, need_b = (*self.needs_input_grad, False)[:3]
        if self.tile:
            return self._backward_winograd(dy, need_x, need_w, need_b)
        if self.one_d:
            dy = dy[:, :, None, :]
        g, (o, cg, *kernel), xp = self.groups, self.w_shape, array_module(dy)
        sp = len(kernel)
        # (N, O, *O) -> (N·∏O, O); free when dy is channels-last already
        d2 = ascontiguousarray(dy.transpose(0, *range(2, sp + 2), 1)).reshape(-1, o)
        db = dw = dx = None
        if need_b and not (need_w and self.k_major):  # else the ones row of ∂L/∂W gives it
            db = xp.ones(d2.shape[0], d2.dtype) @ d2  # Σ δ as a GEMV: a fast reduction order
        if g > 1:  # (N·∏O, O) -> (G, N·∏O, O/G)
            d2 = ascontiguousarray(d2.reshape(-1, g, o // g).transpose(1, 0, 2))
        else:
            d2 = d2[None]
        if need_w:
            cols = self.cols if self.cols is not None else self._columns(self.xpad)
            dwm = _weight_grad(cols, d2, self.geometry[0][0], self.k_major)
            if self.k_major and self.ones:  # (1, K + 1, O): the last row is Σ δ
                db, dwm = dwm[0, -1], dwm[:, :-1]
            # (G, ∏K·C/G, O/G) -> (O, C/G, *K)
            dw = (
                dwm.reshape(g, *kernel, cg, o // g)
                .transpose(0, sp + 2, sp + 1, *range(1, sp + 1))
                .reshape(self.w_shape)
            )
            dw = dw[:, :, 0, :] if self.one_d else ascontiguousarray(dw)
        if need_x:
            # Stride 1: ∂L/∂x as a convolution of δ, unless that GEMM would be narrow (few
            # input channels), where BLAS runs well below its rate and col2im is cheaper.
            as_conv = all(s == 1 for s in self.geometry[4]) and g == 1 and (cg >= o or cg >= 64)
            dx = (
                None
                if self.one_d or g > 1 or len(kernel) != 2
                else self._input_grad_winograd(
                    dy, self.wm[0].reshape(*kernel, cg, o).transpose(3, 2, 0, 1)
                )
            )
            if dx is None and as_conv:
                dx = self._input_grad_stride1(dy)
            if dx is None:
                dx = self._input_grad(d2)
            if self.one_d:
                dx = dx[:, :, 0, :]
        return dx, dw, db

    def backward_graph(self, dy):
        """The same gradients as nerve ops (double backward), per group with the columns
        X = unfold(x̃) (N, C/G·KH·KW, L) and W as (O/G, C/G·KH·KW):
        ∂L/∂W = Σₙ δ Xᵀ,  ∂L/∂x = fold(Wᵀ δ) without the padding,  ∂L/∂b = Σ δ."""
        from nerve.ops.shape.fold import Fold, Unfold

        x, w = self.parents[:2]
        need_x, need_w, need_b = (*self.needs_input_grad, False)[:3]
        stride, dilation, g = self.geometry[4], self.geometry[5], self.groups
        if len(stride) != 2:
            raise RuntimeError(
                f"{self.name()}: double backward (create_graph=True) is "
                "implemented for conv1d and conv2d, not conv3d"
            )
        if self.one_d:
            x, w, dy = x.unsqueeze(2), w.unsqueeze(2), dy.unsqueeze(2)
        (n, c, h, wd), (o, cg, kh, kw) = x.shape, w.shape
        (pt, pb), (pl, pr) = self.padding
        dy2 = dy.reshape(n, g, o // g, dy.shape[2] * dy.shape[3])
        args = {"kernel": (kh, kw), "padding": (0, 0), "stride": stride, "dilation": dilation}
        dx = dw = db = None
        if need_w:
            xpad = (
                Pad.apply(x, widths=((0, 0), (0, 0), (pt, pb), (pl, pr)))
                if pt + pb + pl + pr
                else x
            )
            cols = Unfold.apply(xpad, **args).reshape(n, g, cg * kh * kw, -1)
            dw = (dy2 @ cols.transpose(-1, -2)).sum(dim=0).reshape(o, cg, kh, kw)
            dw = dw.squeeze(2) if self.one_d else dw
        if need_x:
            wm = w.reshape(g, o // g, cg * kh * kw)
            dcols = (wm.transpose(-1, -2) @ dy2).reshape(n, c * kh * kw, -1)
            dxp = Fold.apply(dcols, size=(h + pt + pb, wd + pl + pr), **args)
            dx = GetItem.apply(
                dxp, index=(slice(None), slice(None), slice(pt, pt + h), slice(pl, pl + wd))
            )
            dx = dx.squeeze(2) if self.one_d else dx
        if need_b:
            db = dy.sum(dim=(0, 2, 3))
        return dx, dw, db

    def _input_grad(self, d2):
        """∂L/∂X = δ Wᵀ, then col2im: the general case (strides, groups)."""
        g, kernel = self.groups, self.w_shape[2:]
        sp, n, out = len(kernel), self.geometry[0][0], self.geometry[2][len(kernel) :]
        wt = self.wm.transpose(0, 2, 1)
        # One GEMM (a batch of ∏K small ones would contiguous-ify col2im's reads, but
        # each BLAS call pays a thread sync, ruinous on a busy machine)
        dcols = (
            d2[0] @ wt[0]
            if g == 1
            else _ungroup(array_module(d2).matmul(d2, wt), math.prod(kernel))
        )
        # (N·∏O, ∏K·C) -> (*K, N, *O, C)
        dcols = dcols.reshape(n, *out, *kernel, -1).transpose(
            *range(sp + 1, 2 * sp + 1), 0, *range(1, sp + 1), 2 * sp + 1
        )
        return col2im(dcols, *self.geometry)

    def _input_grad_stride1(self, dy):
        """With stride 1, ∂L/∂x is itself a convolution: of δ zero-padded by D(K-1) - P with
        the kernels flipped and in/out channels swapped,
        ∂L/∂x[n, c, h, w] = Σ_{o,p,q} δ̃[n, o, h + Dₕp, w + D_w q] w[o, c, KH-1-p, KW-1-q].
        One im2col copy of δ and one GEMM replace col2im's ∏K strided adds.
        None when the padding exceeds D(K-1) (then δ̃ would need cropping)."""
        (n, c, *size), kernel, dilation = self.geometry[0], self.w_shape[2:], self.geometry[5]
        full = tuple(d * (k - 1) for d, k in zip(dilation, kernel))
        if any(max(p) > f for p, f in zip(self.padding, full)):
            return None
        dyp = pad_channels_last(dy, *(f - p for f, pair in zip(full, self.padding) for p in pair))
        cols = im2col_nd(dyp, kernel, size, (1,) * len(size), dilation)[0]  # (N·∏S, ∏K·O)
        # (G=1, ∏K·C, O) -> flipped (∏K·O, C): rows (K-1-p, ..., o)
        flip = (slice(None, None, -1),) * len(kernel)
        wf = array_module(dy).moveaxis(self.wm[0].reshape(*kernel, c, -1)[flip], -1, -2)
        dx = cols @ ascontiguousarray(wf).reshape(-1, c)
        # (N·∏S, C) -> the (N, C, *S) view of channels-last memory
        return dx.reshape(n, *size, c).transpose(0, len(size) + 1, *range(1, len(size) + 1))


def _weight_grad(cols, d2, n: int, k_major: bool = False):
    """Xᵀ δ per group, (G, K, N·OH·OW) @ (G, N·OH·OW, O/G); K-major columns are Xᵀ already.
    With few kernel entries (a first layer's K = C·KH·KW = 9 or 27) this is a long thin
    reduction that BLAS threads poorly (two threads took 0.6 s instead of 1.5 ms now and
    then on a busy machine); summing per-sample products is then faster and immune to
    thread stalls."""
    cols_t = cols[None] if k_major else cols.transpose(0, 2, 1)  # (G, K, N·OH·OW)
    (g, k, rows), xp = cols_t.shape, array_module(cols)
    if g == 1 and k <= _PER_SAMPLE_MAX_K and rows >= 8192 and rows % n == 0:
        per = rows // n  # (N, K, OH·OW) @ (N, OH·OW, O), summed over the batch
        return xp.matmul(
            cols_t[0].reshape(k, n, per).transpose(1, 0, 2), d2.reshape(n, per, -1)
        ).sum(axis=0)[None]
    return (cols_t[0] @ d2[0])[None] if g == 1 else xp.matmul(cols_t, d2)


def _ungroup(y, inner: int = 1):
    """(G, R, inner·F) per-group results -> (R, inner·G·F), groups interleaved inside each
    of the ``inner`` blocks (the channel axis is innermost in the im2col rows)."""
    g, r, f = y.shape
    return y.reshape(g, r, inner, f // inner).transpose(1, 2, 0, 3).reshape(r, -1)


# ----- argument handling and the functional wrappers ---------------------------------------
def dims_tuple(v, n: int, name: str, op: str) -> tuple:
    if isinstance(v, int):
        return (v,) * n
    v = tuple(v)
    if len(v) == 1:
        v = v * n
    if len(v) != n or not all(isinstance(i, numbers.Integral) for i in v):
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
            raise ValueError(
                f"{op}: invalid padding string '{padding}', should be one of {{'valid', 'same'}}"
            )
        if any(s != 1 for s in stride):
            raise RuntimeError(
                f"{op}: padding='same' is not supported for strided convolutions (stride={stride})"
            )
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((t // 2, t - t // 2) for t in total)
    p = dims_tuple(padding, n, "padding", op)
    if any(v < 0 for v in p):
        raise RuntimeError(f"{op}: negative padding is not supported, got {p}")
    return tuple((v, v) for v in p)


def conv_output_size(
    op: str, size: tuple, kernel: tuple, pad: tuple, stride: tuple, dilation: tuple
) -> tuple:
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
                f"kernel {tuple(kernel)}"
            )
        out.append((padded - span) // s + 1)
    return tuple(out)


_KERNEL_DIMS = {1: "kW", 2: "kH, kW", 3: "kD, kH, kW"}


def check_ranks(op: str, x, w, dims: int, layout: str) -> None:
    """The weight (``layout`` names its first two dims) and the batched input both have
    dims + 2 dimensions."""
    if w.ndim != dims + 2:
        raise RuntimeError(
            f"{op}: expected a weight of {dims + 2} dimensions ({layout}, "
            f"{_KERNEL_DIMS[dims]}), got shape {tuple(w.shape)}"
        )
    if x.ndim != dims + 2:
        raise RuntimeError(
            f"{op}: expected {dims + 1}D (unbatched) or {dims + 2}D (batched) "
            f"input, but got input of size: {list(x.shape)}"
        )


def _check_conv(op: str, x, w, b, dims: int, groups: int) -> None:
    check_ranks(op, x, w, dims, "out_channels, in_channels/groups")
    if groups < 1 or w.shape[0] % groups:
        raise RuntimeError(
            f"{op}: groups must be a positive divisor of out_channels "
            f"{w.shape[0]}, got groups={groups}"
        )
    if x.shape[1] != w.shape[1] * groups:
        raise RuntimeError(
            f"{op}: Given groups={groups}, weight of size {list(w.shape)}, expected "
            f"input{list(x.shape)} to have {w.shape[1] * groups} channels, but got "
            f"{x.shape[1]} channels instead"
        )
    if b is not None and tuple(b.shape) != (w.shape[0],):
        raise RuntimeError(
            f"{op}: expected bias of shape ({w.shape[0]},) (out_channels), got {tuple(b.shape)}"
        )
    for name, t in (("weight", w), ("bias", b)):
        if t is not None and t.dtype != x.dtype and not autocast_covers(Conv, x._data):
            raise RuntimeError(
                f"{op}: Input type ({x.dtype}) and {name} type ({t.dtype}) should be the same"
            )


def _conv(op, dims, input, weight, bias, stride, padding, dilation, groups):
    unbatched = input.ndim == dims + 1
    if unbatched:
        input = reshape(input, (1,) + tuple(input.shape))  # noqa: A001
    _check_conv(op, input, weight, bias, dims, groups)
    stride = dims_tuple(stride, dims, "stride", op)
    dilation = dims_tuple(dilation, dims, "dilation", op)
    if min(stride) < 1 or min(dilation) < 1:
        raise RuntimeError(
            f"{op}: stride and dilation must be positive, got stride={stride}, dilation={dilation}"
        )
    kernel = tuple(weight.shape[2:])
    pad = conv_padding(padding, kernel, stride, dilation, op)
    conv_output_size(op, tuple(input.shape[2:]), kernel, pad, stride, dilation)
    if dims == 1:
        pad, stride, dilation = ((0, 0),) + pad, (1,) + stride, (1,) + dilation
    y = Conv.apply(
        input, weight, bias, stride=stride, padding=pad, dilation=dilation, groups=groups
    )
    return reshape(y, tuple(y.shape[1:])) if unbatched else y


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution of input (N, C, H, W) or (C, H, W) with weight (O, C/groups, KH, KW);
    padding is an int, a pair, 'valid' or 'same'. See ``Conv``."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of input (N, C, L) or (C, L) with weight (O, C/groups, K)."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D (volumetric) convolution of input (N, C, D, H, W) or (C, D, H, W) with weight
    (O, C/groups, KD, KH, KW); padding is an int, a triple, 'valid' or 'same'."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)
