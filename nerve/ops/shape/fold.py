"""unfold (im2col) and fold (col2im) as ops of their own: the sliding blocks of an image as
columns, and the columns summed back into an image. Each is the other's adjoint, so the
backward of one is the forward of the other; both reuse Conv's strided-view im2col and
its per-kernel-offset col2im.

Shapes: image (N, C, H, W), columns (N, C·KH·KW, L) with L = OH·OW the number of blocks,
OH = ⌊(H + 2P - D(K - 1) - 1)/S⌋ + 1, row index c·KH·KW + p·KW + q (channel-major).
"""

from __future__ import annotations

from nerve.autograd.function import Function
from nerve.backend import ascontiguousarray
from nerve.ops.nn.conv import dims_tuple
from nerve.ops.nn.im2col import col2im, im2col, pad_channels_last
from nerve.ops.shape.rearrange import reshape

__all__ = ["fold", "unfold"]


def _unfold(x, kernel, padding, stride, dilation):
    """(N, C, H, W) -> (N, C·KH·KW, OH·OW)."""
    n, c, h, w = x.shape
    (kh, kw), (ph, pw) = kernel, padding
    oh, ow = _blocks((h, w), kernel, padding, stride, dilation)
    cols = im2col(pad_channels_last(x, ph, ph, pw, pw), kh, kw, oh, ow, stride, dilation)
    # (N·OH·OW, KH·KW·C) -> (N, C, KH, KW, OH·OW) -> (N, C·KH·KW, L)
    cols = cols.reshape(n, oh * ow, kh, kw, c).transpose(0, 4, 2, 3, 1)
    return ascontiguousarray(cols).reshape(n, c * kh * kw, oh * ow)


def _fold(cols, size, kernel, padding, stride, dilation):
    """(N, C·KH·KW, OH·OW) -> (N, C, H, W), overlapping entries summed."""
    n = cols.shape[0]
    (kh, kw), (ph, pw) = kernel, padding
    c = cols.shape[1] // (kh * kw)
    oh, ow = _blocks(size, kernel, padding, stride, dilation)
    # (N, C, KH, KW, OH, OW) -> (KH, KW, N, OH, OW, C)
    dcols = cols.reshape(n, c, kh, kw, oh, ow).transpose(2, 3, 0, 4, 5, 1)
    return col2im(
        dcols,
        (n, c, *size),
        (n, size[0] + 2 * ph, size[1] + 2 * pw, c),
        (kh, kw, oh, ow),
        padding,
        stride,
        dilation,
    )


def _blocks(size, kernel, padding, stride, dilation) -> tuple:
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, p, s, d in zip(size, kernel, padding, stride, dilation)
    )


class Unfold(Function):
    """Sliding blocks as columns (im2col):
    y[n, c·KH·KW + p·KW + q, i·OW + j] = x̃[n, c, Sₕi + Dₕp, S_w j + D_w q] (x̃ zero-padded).
    A copy of selected entries, so ∂L/∂x = fold(δ): each column entry's gradient is added
    back to the pixel it was copied from."""

    def forward(self, x, kernel=(1, 1), padding=(0, 0), stride=(1, 1), dilation=(1, 1)):
        self.args, self.size = (kernel, padding, stride, dilation), x.shape[2:]
        return _unfold(x, *self.args)

    def backward(self, dy):
        return _fold(dy, self.size, *self.args)

    def backward_graph(self, dy):
        kernel, padding, stride, dilation = self.args
        return Fold.apply(
            dy, size=self.size, kernel=kernel, padding=padding, stride=stride, dilation=dilation
        )


class Fold(Function):
    """Columns summed into an image (col2im), the adjoint of Unfold:
    y[n, c, h, w] = Σ over (p, q, i, j) with Sₕi + Dₕp - P = h, S_w j + D_w q - P = w of
    x[n, c·KH·KW + p·KW + q, i·OW + j]. Linear, so ∂L/∂x = unfold(δ)."""

    def forward(
        self, x, size=(1, 1), kernel=(1, 1), padding=(0, 0), stride=(1, 1), dilation=(1, 1)
    ):
        self.args = (kernel, padding, stride, dilation)
        return _fold(x, size, *self.args)

    def backward(self, dy):
        return _unfold(dy, *self.args)

    def backward_graph(self, dy):
        kernel, padding, stride, dilation = self.args
        return Unfold.apply(dy, kernel=kernel, padding=padding, stride=stride, dilation=dilation)


# ----- the functional wrappers -----------------------------------------------------------
def _params(op, kernel_size, dilation, padding, stride):
    kernel = dims_tuple(kernel_size, 2, "kernel_size", op)
    dilation, stride = dims_tuple(dilation, 2, "dilation", op), dims_tuple(stride, 2, "stride", op)
    padding = dims_tuple(padding, 2, "padding", op)
    if min(kernel) < 1 or min(dilation) < 1 or min(stride) < 1 or min(padding) < 0:
        raise RuntimeError(
            f"{op}: kernel_size, dilation and stride must be positive and "
            f"padding non-negative, got kernel_size={kernel}, dilation="
            f"{dilation}, padding={padding}, stride={stride}"
        )
    return kernel, padding, stride, dilation


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks: (N, C, H, W) -> (N, C·∏kernel_size, L), or
    (C, H, W) -> (C·∏kernel_size, L). See ``Unfold``."""
    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"unfold: expected 3D (unbatched) or 4D (batched) input, but got "
            f"input of size: {list(input.shape)}"
        )
    args = _params("unfold", kernel_size, dilation, padding, stride)
    size = tuple(input.shape[-2:])
    blocks = _blocks(size, *args)
    if min(blocks) < 1:
        kernel, padding, _, dilation = args
        raise RuntimeError(
            f"unfold: Given input with spatial size {size}, kernel_size="
            f"{kernel}, dilation={dilation}, padding={padding}, calculated "
            f"shape of the array of sliding blocks as {blocks}, but its "
            "components must be at least one."
        )
    x = reshape(input, (1, *input.shape)) if input.ndim == 3 else input
    y = Unfold.apply(x, kernel=args[0], padding=args[1], stride=args[2], dilation=args[3])
    return reshape(y, tuple(y.shape[1:])) if input.ndim == 3 else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding local blocks into an image: (N, C·∏kernel_size, L) -> (N, C, *output_size),
    or unbatched (C·∏kernel_size, L) -> (C, *output_size). See ``Fold``."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"fold: expected 2D (unbatched) or 3D (batched) input, but got "
            f"input of size: {list(input.shape)}"
        )
    size = dims_tuple(output_size, 2, "output_size", "fold")
    args = _params("fold", kernel_size, dilation, padding, stride)
    kernel, padding, stride, dilation = args
    rows, length = input.shape[-2:]
    if rows % (kernel[0] * kernel[1]):
        raise RuntimeError(
            f"fold: Expected size of input's dimension {input.ndim - 2} to be "
            f"divisible by the product of kernel_size, but got input.size("
            f"{input.ndim - 2})={rows} and kernel_size={kernel}."
        )
    blocks = _blocks(size, *args)
    if min(blocks) < 1 or blocks[0] * blocks[1] != length:
        raise RuntimeError(
            f"fold: Given output_size={size}, kernel_size={kernel}, dilation="
            f"{dilation}, padding={padding}, stride={stride}, expected size of "
            f"input's dimension {input.ndim - 1} to match the calculated "
            f"number of sliding blocks {blocks[0]} * {blocks[1]} = "
            f"{blocks[0] * blocks[1]}, but got input.size({input.ndim - 1})="
            f"{length}."
        )
    x = reshape(input, (1, *input.shape)) if input.ndim == 2 else input
    y = Fold.apply(x, size=size, kernel=kernel, padding=padding, stride=stride, dilation=dilation)
    return reshape(y, tuple(y.shape[1:])) if input.ndim == 2 else y
