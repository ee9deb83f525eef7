"""Spatial transformers: affine_grid builds sampling grids from affine matrices, grid_sample
reads an image at those (fractional) positions, bilinearly or at the nearest pixel.

A grid holds normalised (x, y) in [-1, 1]: -1 is the left/top edge, +1 the right/bottom
edge; with align_corners they are the centres of the corner pixels instead. Every pixel of
every image is sampled at once: the four corner reads are gathers over flat plane indices,
the backward four scatter-adds; nothing loops over pixels.
"""

from __future__ import annotations

from nerve.autograd.function import Function, wrap
from nerve.backend import array_module
from nerve.backend.arrayfns import scatter_add
from nerve.dtypes import float64, int64, is_floating
from nerve.ops.linalg.matmul import matmul

__all__ = ["affine_grid", "grid_sample"]


def _reflect(x, lo2, hi2):
    """Reflect x into [lo2/2, hi2/2] (as a mirror bouncing at both ends), with ∂/∂x = ±1."""
    xp = array_module(x)
    if lo2 == hi2:
        return xp.zeros_like(x), xp.zeros_like(x)
    low, span = lo2 / 2, (hi2 - lo2) / 2
    d = x - low
    sign = xp.where(d < 0, -1.0, 1.0)
    d = xp.abs(d)
    flips = xp.floor(d / span)
    extra = xp.fmod(d, span)
    even = flips % 2 == 0
    out = xp.where(even, extra + low, span - extra + low)
    return out, xp.where(even, sign, -sign)


def _clip(x, size):
    """Clamp into [0, size - 1]; ∂/∂x = 0 at and beyond the ends (as PyTorch)."""
    inside = (x > 0) & (x < size - 1)
    return array_module(x).clip(x, 0, size - 1), inside.astype(x.dtype)


def source_index(g, size: int, align_corners: bool, padding_mode: str):
    """Normalised coordinates g -> pixel coordinates, and their derivative ∂ix/∂g."""
    xp = array_module(g)
    if align_corners:
        ix, d = (g + 1) / 2 * (size - 1), xp.full_like(g, (size - 1) / 2)
    else:
        ix, d = ((g + 1) * size - 1) / 2, xp.full_like(g, size / 2)
    if padding_mode == "border":
        ix, dc = _clip(ix, size)
        d = d * dc
    elif padding_mode == "reflection":
        lo, hi = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        ix, dr = _reflect(ix, lo, hi)
        ix, dc = _clip(ix, size)
        d = d * dr * dc
    return ix.astype(g.dtype, copy=False), d.astype(g.dtype, copy=False)


class GridSample(Function):
    """y[n, c, p] = Σ_corners w_k · x[n, c, iy_k, ix_k], the bilinear weights
    w = (1 - tx)(1 - ty), tx(1 - ty), (1 - tx)ty, tx·ty with tx = ix - ⌊ix⌋ (corners outside
    the image read 0); nearest mode reads the one pixel at the rounded position.
    ∂L/∂x: δ·w scattered back to each corner.
    ∂L/∂ix = Σ_c δ · [(1 - ty)(x_ne - x_nw) + ty(x_se - x_sw)], likewise for iy, then times
    ∂ix/∂grid (unnormalisation, and the clipping or reflection of the padding mode)."""

    def forward(self, x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
        (n, c, h, w), xp = x.shape, array_module(x, grid)
        gx, gy = grid[..., 0].reshape(n, -1), grid[..., 1].reshape(n, -1)  # (N, P)
        ix, dix = source_index(gx, w, align_corners, padding_mode)
        iy, diy = source_index(gy, h, align_corners, padding_mode)
        self.shape, self.out_hw, self.mode = x.shape, grid.shape[1:3], mode
        xf = x.reshape(n, c, h * w)  # (N, C, H, W) -> (N, C, H·W)
        if mode == "nearest":
            corners = [(xp.rint(iy), xp.rint(ix), xp.ones_like(ix))]
        else:
            x0, y0 = xp.floor(ix), xp.floor(iy)
            tx, ty = ix - x0, iy - y0
            corners = [
                (y0, x0, (1 - tx) * (1 - ty)),
                (y0, x0 + 1, tx * (1 - ty)),
                (y0 + 1, x0, (1 - tx) * ty),
                (y0 + 1, x0 + 1, tx * ty),
            ]
            self.t, self.d = (tx, ty), (dix, diy)
        rows = xp.arange(n)[:, None, None]
        self.reads, y = [], 0
        for yy, xx, wk in corners:
            valid = (xx >= 0) & (xx <= w - 1) & (yy >= 0) & (yy <= h - 1)
            idx = (xp.clip(yy, 0, h - 1) * w + xp.clip(xx, 0, w - 1)).astype(int64)
            wk = (wk * valid).astype(x.dtype, copy=False)
            v = xf[rows, xp.arange(c)[None, :, None], idx[:, None, :]]  # (N, C, P)
            v = v * valid[:, None, :]  # outside the image reads 0 (for ∂L/∂grid)
            self.reads.append((idx, wk, v))
            y = y + v * wk[:, None, :]
        return y.reshape(n, c, *grid.shape[1:3]).astype(x.dtype, copy=False)

    def backward(self, dy):
        (n, c, h, w), xp = self.shape, array_module(dy)
        dy = dy.reshape(n, c, -1)  # (N, C, Ho, Wo) -> (N, C, P)
        dx = dgrid = None
        if self.needs_input_grad[0]:
            acc = xp.zeros((n, h * w, c), dtype=dy.dtype)  # channels last: one add.at per corner
            rows = xp.arange(n)[:, None]
            for idx, wk, _ in self.reads:
                scatter_add(acc, (rows, idx), (dy * wk[:, None, :]).transpose(0, 2, 1))
            dx = acc.transpose(0, 2, 1).reshape(self.shape)
        if self.needs_input_grad[1]:
            dgrid = xp.zeros((n, *self.out_hw, 2), dtype=dy.dtype)
            if self.mode != "nearest":
                (tx, ty), (dix, diy) = self.t, self.d
                (_, _, nw), (_, _, ne), (_, _, sw), (_, _, se) = self.reads
                gx = ((1 - ty)[:, None] * (ne - nw) + ty[:, None] * (se - sw)) * dy
                gy = ((1 - tx)[:, None] * (sw - nw) + tx[:, None] * (se - ne)) * dy
                dgrid[..., 0] = (gx.sum(1) * dix).reshape(n, *self.out_hw)
                dgrid[..., 1] = (gy.sum(1) * diy).reshape(n, *self.out_hw)
        return dx, dgrid


_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")


def grid_sample(
    input,
    grid,
    mode="bilinear",
    padding_mode="zeros",
    align_corners=None,
):
    """Sample (N, C, H, W) at grid (N, Ho, Wo, 2) of normalised (x, y) -> (N, C, Ho, Wo)."""
    op = "grid_sample"
    if mode not in _MODES:
        raise ValueError(
            f"nn.functional.{op}(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in _PADDINGS:
        raise ValueError(
            f"nn.functional.{op}(): expected padding_mode to be 'zeros', "
            f"'border', or 'reflection', but got: '{padding_mode}'"
        )
    if mode == "bicubic":
        raise NotImplementedError(f"{op}: mode 'bicubic' is not implemented in nerve")
    if input.ndim != 4 or grid.ndim != 4:
        raise RuntimeError(
            f"{op}(): expected 4D input and grid (5D volumes are not "
            f"implemented), but got input with sizes {list(input.shape)} and "
            f"grid with sizes {list(grid.shape)}"
        )
    if grid.shape[0] != input.shape[0]:
        raise RuntimeError(
            f"{op}(): expected grid and input to have same batch size, but got "
            f"input with sizes {list(input.shape)} and grid with sizes "
            f"{list(grid.shape)}"
        )
    if grid.shape[-1] != 2:
        raise RuntimeError(
            f"{op}(): expected grid to have size 2 in last dimension, but got "
            f"grid with sizes {list(grid.shape)}"
        )
    if input.dtype != grid.dtype:
        raise RuntimeError(
            f"{op}(): expected input and grid to have the same dtype, but "
            f"input has {input.dtype} and grid has {grid.dtype}"
        )
    return GridSample.apply(
        input, grid, mode=mode, padding_mode=padding_mode, align_corners=bool(align_corners)
    )


def _base_axis(n: int, align_corners: bool, dtype, xp):
    if n == 1:
        return xp.zeros(1, dtype=dtype)
    ax = xp.linspace(-1, 1, n, dtype=float64)
    if not align_corners:
        ax = ax * (n - 1) / n
    return ax.astype(dtype)


def affine_grid(theta, size, align_corners=None):
    """Grid (N, H, W, 2) of θ·(x, y, 1) over the output pixels' normalised centres, for
    θ of shape (N, 2, 3) and size (N, C, H, W); (N, D, H, W, 3) for θ (N, 3, 4)."""
    size = tuple(int(s) for s in size)
    if not is_floating(theta.dtype):
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    dims = len(size) - 2
    if dims not in (2, 3):
        raise NotImplementedError(
            f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
            f"affine transforms, respectively. Got size {size}."
        )
    if tuple(theta.shape) != (size[0], dims, dims + 1):
        raise ValueError(
            f"Expected a batch of {dims}D affine matrices of shape "
            f"Nx{dims}x{dims + 1} for size {size}. Got {tuple(theta.shape)}."
        )
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    dtype, xp = theta.dtype, array_module(theta)
    axes = [_base_axis(n, bool(align_corners), dtype, xp) for n in size[2:]][::-1]  # x, y(, z)
    mesh = list(xp.meshgrid(*axes[::-1], indexing="ij"))[::-1]  # each (H, W) or (D, H, W)
    base = xp.stack(mesh + [xp.ones_like(mesh[0])], -1).reshape(-1, dims + 1)  # (P, dims+1)
    grid = matmul(wrap(base), theta.transpose(1, 2))  # (N, P, dims)
    return grid.reshape(size[0], *size[2:], dims)
