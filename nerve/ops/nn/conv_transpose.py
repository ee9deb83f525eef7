"""Transposed convolution ("deconvolution", fractionally strided convolution): the adjoint
of Conv, so its forward is Conv's input gradient and its input gradient is a Conv.

Shapes: x (N, C_in, H, W), w (C_in, C_out/G, KH, KW), y (N, C_out, OH, OW) with
OH = (H - 1)·S - 2P + D(K - 1) + output_padding + 1, the input size of the Conv (same S, P,
D, K) whose output has H rows; output_padding (< S or < D) picks one of the S sizes that
Conv maps to H. ConvTranspose1d is the same op with H = KH = 1.
"""

from __future__ import annotations

import math

from nerve.autograd.function import Function
from nerve.backend import array_module, ascontiguousarray
from nerve.ops.nn.conv import _ungroup, check_ranks, dims_tuple
from nerve.ops.nn.im2col import col2im, im2col_nd, pad_channels_last
from nerve.ops.shape.fold import Unfold
from nerve.ops.shape.rearrange import reshape

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


class ConvTranspose(Function):
    """Transposed convolution, G groups of C_in/G input channels:

    y[n, o, Sₕi + Dₕp - P, S_w j + D_w q - P] += w[c, o, p, q] x[n, c, i, j]  (+ b[o])

    (each input pixel scatters a kernel-weighted copy into the output). In matrix form per
    group, with X the input as rows (N·H·W, C_in/G) and W the kernels as rows
    (C_in/G, KH·KW·C_out/G): Y_cols = X W, y = col2im(Y_cols) + b. With δ = ∂L/∂y and
    Δ = im2col(δ) (N·H·W, KH·KW·C_out/G), the receptive fields of δ seen by each input
    pixel: ∂L/∂X = Δ Wᵀ (a Conv of δ with the same kernels), ∂L/∂W = Xᵀ Δ, ∂L/∂b = Σ δ.
    """

    def forward(
        self,
        x,
        w,
        b=None,
        stride=(1, 1),
        padding=(0, 0),
        output_padding=(0, 0),
        dilation=(1, 1),
        groups=1,
    ):
        self.one_d = x.ndim == 3
        if self.one_d:  # (N, C, L) -> (N, C, 1, L); (C, O/G, K) -> (C, O/G, 1, K)
            x, w = x[:, :, None, :], w[:, :, None, :]
        n, c, *size = x.shape
        _, og, *kernel = w.shape
        g, sp = groups, len(size)
        out = tuple(
            (m - 1) * s - 2 * p + d * (k - 1) + op + 1
            for m, s, p, d, k, op in zip(size, stride, padding, dilation, kernel, output_padding)
        )
        self.geometry = (
            (n, og * g, *out),
            (n, *(o + 2 * p for o, p in zip(out, padding)), og * g),
            (*kernel, *size),
            padding,
            stride,
            dilation,
        )
        self.groups, self.w_shape = g, w.shape
        # (C_in, O/G, *K) -> (G, C_in/G, ∏K·O/G): rows ordered like im2col's columns
        xp = array_module(x)
        self.wm = wm = ascontiguousarray(
            w.reshape(g, c // g, og, *kernel).transpose(0, 1, *range(3, sp + 3), 2)
        ).reshape(g, c // g, -1)
        # (N, C, *S) -> (G, N·∏S, C/G)
        self.xr = xr = _group_rows(x, g)
        cols = xr[0] @ wm[0] if g == 1 else _ungroup(xp.matmul(xr, wm), math.prod(kernel))
        # (N·∏S, ∏K·O) -> (*K, N, *S, O)
        cols = cols.reshape(n, *size, *kernel, -1).transpose(
            *range(sp + 1, 2 * sp + 1), 0, *range(1, sp + 1), 2 * sp + 1
        )
        y = col2im(cols, *self.geometry)
        if b is not None:
            y += b.reshape(-1, *(1,) * sp)
        return y[:, :, 0, :] if self.one_d else y

    def backward(self, dy):
        need_x, need_w, need_b = (*self.needs_input_grad, False)[:3]
        if self.one_d:
            dy = dy[:, :, None, :]
        g, (c, og, *kernel), xp = self.groups, self.w_shape, array_module(dy)
        sp = len(kernel)
        size = self.geometry[2][sp:]
        padding, stride, dilation = self.geometry[3:]
        dx = dw = db = None
        if need_b:
            db = dy.sum(axis=(0, *range(2, sp + 2)))
        if need_x or need_w:
            dyp = pad_channels_last(dy, *(p for p in padding for _ in (0, 1)))  # (N, *Sp, O)
            cols = im2col_nd(dyp, kernel, size, stride, dilation, g)  # (G, N·∏S, ∏K·O/G)
        if need_x:
            dxr = (
                cols[0] @ self.wm[0].T
                if g == 1
                else _ungroup(xp.matmul(cols, self.wm.transpose(0, 2, 1)))
            )
            # (N·∏S, C) -> the (N, C, *S) view of channels-last memory
            dx = dxr.reshape(-1, *size, c).transpose(0, sp + 1, *range(1, sp + 1))
            if self.one_d:
                dx = dx[:, :, 0, :]
        if need_w:
            dwm = xp.matmul(self.xr.transpose(0, 2, 1), cols)  # (G, C/G, ∏K·O/G)
            # (G, C/G, *K, O/G) -> (C, O/G, *K)
            dw = ascontiguousarray(
                dwm.reshape(g, c // g, *kernel, og).transpose(0, 1, sp + 2, *range(2, sp + 2))
            ).reshape(self.w_shape)
            if self.one_d:
                dw = dw[:, :, 0, :]
        return dx, dw, db

    def backward_graph(self, dy):
        """The same gradients as nerve ops (double backward), per group with the columns
        Δ = unfold(δ) (N, O/G·KH·KW, H·W) and W as (C/G, O/G·KH·KW):
        ∂L/∂x = W Δ,  ∂L/∂W = Σₙ x Δᵀ,  ∂L/∂b = Σ δ."""
        x, w = self.parents[:2]
        need_x, need_w, need_b = (*self.needs_input_grad, False)[:3]
        padding, stride, dilation = self.geometry[3:]
        if len(stride) != 2:
            raise RuntimeError(
                f"{self.name()}: double backward (create_graph=True) is "
                "implemented for conv_transpose1d/2d, not 3d"
            )
        if self.one_d:
            x, w, dy = x.unsqueeze(2), w.unsqueeze(2), dy.unsqueeze(2)
        (n, c, h, wd), (_, og, kh, kw), g = x.shape, w.shape, self.groups
        cols = Unfold.apply(
            dy,
            kernel=(kh, kw),
            padding=tuple(padding),
            stride=tuple(stride),
            dilation=tuple(dilation),
        ).reshape(n, g, og * kh * kw, h * wd)
        wm = w.reshape(g, c // g, og * kh * kw)
        dx = dw = db = None
        if need_x:
            dx = (wm @ cols).reshape(n, c, h, wd)
            dx = dx.squeeze(2) if self.one_d else dx
        if need_w:
            xg = x.reshape(n, g, c // g, h * wd)
            dw = (xg @ cols.transpose(-1, -2)).sum(dim=0).reshape(c, og, kh, kw)
            dw = dw.squeeze(2) if self.one_d else dw
        if need_b:
            db = dy.sum(dim=(0, 2, 3))
        return dx, dw, db


def _group_rows(x, g: int):
    """(N, C, *S) -> contiguous (G, N·∏S, C/G): pixels as rows, a group's channels as
    columns (a free view for channels-last input when G = 1)."""
    c = x.shape[1]
    xt = x.transpose(0, *range(2, x.ndim), 1)
    if g == 1:
        return ascontiguousarray(xt).reshape(1, -1, c)
    return ascontiguousarray(xt.reshape(-1, g, c // g).transpose(1, 0, 2))


# ----- argument handling and the functional wrappers ---------------------------------------
def _check(op: str, x, w, b, dims: int, groups: int) -> None:
    check_ranks(op, x, w, dims, "in_channels, out_channels/groups")
    if groups < 1 or w.shape[0] % groups:
        raise RuntimeError(
            f"{op}: groups must be a positive divisor of in_channels "
            f"{w.shape[0]} (weight's first dim), got groups={groups}"
        )
    if x.shape[1] != w.shape[0]:
        raise RuntimeError(
            f"{op}: Given transposed=1, weight of size {list(w.shape)}, expected "
            f"input{list(x.shape)} to have {w.shape[0]} channels, but got {x.shape[1]} "
            "channels instead"
        )
    if b is not None and tuple(b.shape) != (w.shape[1] * groups,):
        raise RuntimeError(
            f"{op}: expected bias of shape ({w.shape[1] * groups},) "
            f"(out_channels), got {tuple(b.shape)}"
        )
    for name, t in (("weight", w), ("bias", b)):
        if t is not None and t.dtype != x.dtype:
            raise RuntimeError(
                f"{op}: Input type ({x.dtype}) and {name} type ({t.dtype}) should be the same"
            )


def transpose_output_size(
    op: str,
    size: tuple,
    kernel: tuple,
    stride: tuple,
    padding: tuple,
    output_padding: tuple,
    dilation: tuple,
) -> tuple:
    """OH = (H - 1)·S - 2P + D(K - 1) + output_padding + 1 per spatial dim, checked."""
    if any(op_ >= s and op_ >= d for op_, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            f"{op}: output padding must be smaller than either stride or "
            f"dilation, but got output_padding={output_padding}, "
            f"stride={stride}, dilation={dilation}"
        )
    out = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + o + 1
        for n, k, s, p, o, d in zip(size, kernel, stride, padding, output_padding, dilation)
    )
    if min(out) < 1:
        raise RuntimeError(
            f"{op}: Given input size per channel: {size}. Calculated output "
            f"size per channel: {out}. Output size is too small (output = "
            "(in - 1)·stride - 2·padding + dilation·(kernel - 1) + "
            "output_padding + 1)"
        )
    return out


def output_padding_for(
    op: str, output_size, size: tuple, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple
) -> tuple:
    """The output_padding that gives ``output_size`` (spatial dims, or with N and C first)."""
    dims = len(size)
    want = tuple(int(v) for v in output_size)
    if not dims <= len(want) <= dims + 2:  # the spatial sizes, maybe after N and C
        raise ValueError(
            f"{op}: output_size must have {dims} or {dims + 2} elements (got {len(want)})"
        )
    want = want[len(want) - dims :]
    lo = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + 1
        for n, k, s, p, d in zip(size, kernel, stride, padding, dilation)
    )
    hi = tuple(m + s - 1 for m, s in zip(lo, stride))
    if any(not a <= v <= b for v, a, b in zip(want, lo, hi)):
        raise ValueError(
            f"{op}: requested an output size of {want}, but valid sizes range "
            f"from {list(lo)} to {list(hi)} (for an input of {list(size)})"
        )
    return tuple(v - a for v, a in zip(want, lo))


def _conv_transpose(
    op,
    dims,
    input,
    weight,
    bias,
    stride,
    padding,
    output_padding,
    groups,
    dilation,
):
    unbatched = input.ndim == dims + 1
    if unbatched:
        input = reshape(input, (1,) + tuple(input.shape))  # noqa: A001
    _check(op, input, weight, bias, dims, groups)
    stride, dilation = (
        dims_tuple(stride, dims, "stride", op),
        dims_tuple(dilation, dims, "dilation", op),
    )
    padding = dims_tuple(padding, dims, "padding", op)
    output_padding = dims_tuple(output_padding, dims, "output_padding", op)
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0 or min(output_padding) < 0:
        raise RuntimeError(
            f"{op}: stride and dilation must be positive and padding, "
            f"output_padding non-negative, got stride={stride}, dilation="
            f"{dilation}, padding={padding}, output_padding={output_padding}"
        )
    transpose_output_size(
        op,
        tuple(input.shape[2:]),
        tuple(weight.shape[2:]),
        stride,
        padding,
        output_padding,
        dilation,
    )
    if dims == 1:
        stride, padding, dilation = (1,) + stride, (0,) + padding, (1,) + dilation
        output_padding = (0,) + output_padding
    y = ConvTranspose.apply(
        input,
        weight,
        bias,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
    )
    return reshape(y, tuple(y.shape[1:])) if unbatched else y


def conv_transpose2d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
):
    """2-D transposed convolution of (N, C_in, H, W) or (C_in, H, W) with weight
    (C_in, C_out/groups, KH, KW). See ``ConvTranspose``."""
    return _conv_transpose(
        "conv_transpose2d",
        2,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


def conv_transpose1d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
):
    """1-D transposed convolution of (N, C_in, L) or (C_in, L) with weight
    (C_in, C_out/groups, K)."""
    return _conv_transpose(
        "conv_transpose1d",
        1,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


def conv_transpose3d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
):
    """3-D transposed convolution of (N, C_in, D, H, W) or (C_in, D, H, W) with weight
    (C_in, C_out/groups, KD, KH, KW). See ``ConvTranspose``."""
    return _conv_transpose(
        "conv_transpose3d",
        3,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )
