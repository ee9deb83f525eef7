"""Winograd's minimal filtering for 3x3 stride-1 convolutions (Lavin & Gray, 2016).

F(m×m, r×r) computes an m×m tile of outputs from an α×α tile of input, α = m + r - 1,
with α² multiplications instead of m²r²: 2.25x fewer for F(2x2, 3x3) (α = 4),
4x fewer for F(4x4, 3x3) (α = 6). Per tile d (α×α) and kernel g (r×r):

    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A

Over all tiles and channels the ⊙ becomes, at each of the α² transform points (a, b),
one GEMM over channels: M[a,b] = V[a,b] U[a,b], V[a,b] (tiles, C) the transformed
input, U[a,b] (C, O) the transformed kernels; the transforms are small matrix products
applied to all tiles at once. Outputs are cut into ⌈OH/m⌉ × ⌈OW/m⌉ tiles; the input is
zero-padded to cover the last partial tile, whose extra outputs are cropped.

The matrices (Cook-Toom): a 1-D correlation y_i = Σ_k d_{i+k} g_k (i < m) is y = T_gᵀ d,
the transpose of the linear convolution h = T_g e = g * e (lengths r, m → α). Toom's
method computes that product polynomial by evaluating g(x), e(x) at α points (α - 1
finite points aₖ and ∞, whose "value" is the leading coefficient) and interpolating:
h = V⁻¹ [(V_r g) ⊙ (V_m e)], with V_n the α×n matrix of rows (1, aₖ, ..., aₖⁿ⁻¹) (row
(0, ..., 0, 1) for ∞). Transposing, y = V_mᵀ [(V_r g) ⊙ (V_α⁻ᵀ d)], so

    Aᵀ = V_mᵀ,   G = V_r,   Bᵀ = V_α⁻ᵀ,

with each row i of Bᵀ scaled to integers by sᵢ and row i of G divided by sᵢ (the product
is unchanged; the input transform then needs no rounding). ``cook_toom`` derives them in
exact fractions. Points (0, ±1, ∞) give F(2,3); F(4,3) uses (0, ±1, 1/2, -2, ∞), whose
float32 error on post-ReLU activations was 3x below Lavin's (0, ±1, ±2, ∞): max abs
9.5e-6 against 2.8e-5 (±1/2 alone: 3.2e-5) on a 64 -> 64 conv of 8x64x32x32.

Error growth (``python -m benchmarks.conv3x3 --errors``: float32 against float64, that
conv, pad 1, post-ReLU input, He-initialised kernels; max abs error, and over max |ref|):
im2col forward 1.8e-6 (3.7e-7), ∂L/∂x 4.1e-8 (4.7e-7), ∂L/∂W 7.5e-7 (2.6e-7);
F(2x2) 1.5e-6 (3.1e-7), 2.9e-8 (3.3e-7), 1.8e-6 (6.4e-7): as accurate as im2col;
F(4x4) 9.5e-6 (1.9e-6), 1.8e-7 (2.1e-6), 7.0e-6 (2.5e-6): 4-10x im2col's, from the
transforms' larger coefficients (Bᵀ up to 8, Aᵀ down to 1/8).

Gradients, with δ = ∂L/∂y and Δ its m×m tiles (zero beyond OH, OW):
∂L/∂g = Σ_tiles G' [ (A Δ Aᵀ) ⊙ (Bᵀ d B) ] G'ᵀ with G' = Gᵀ (the forward's V is reused,
α² GEMMs (C, tiles) @ (tiles, O)), and ∂L/∂x is the stride-1 convolution of δ, padded
by 2 - P, with the kernels flipped and their channels swapped (``winograd_conv`` again).
"""

from __future__ import annotations

import math
import os
from fractions import Fraction
from functools import cache

from nerve.backend import array_module, as_strided, ascontiguousarray, device_of, same_module
from nerve.backend.parallel import over_batch
from nerve.dtypes import float32, float64
from nerve.ops.nn.im2col import pad_channels_last

__all__: list[str] = []

CONV3X3 = os.environ.get("NERVE_CONV3X3", "auto")  # "auto", "im2col", "f2" or "f4"
_CONV3X3_TILES = {"im2col": 0, "f2": 2, "f4": 4}
POINTS = {2: (0, 1, -1), 4: (0, 1, -1, Fraction(1, 2), -2)}


def _vander(points, n: int) -> list:
    """Rows (1, a, ..., aⁿ⁻¹) for each finite point, then (0, ..., 0, 1) for ∞."""
    return [[Fraction(a) ** k for k in range(n)] for a in points] + [
        [Fraction(0)] * (n - 1) + [Fraction(1)]
    ]


def _inverse(rows: list) -> list:
    """Exact Gauss-Jordan inverse of a square matrix of Fractions."""
    n = len(rows)
    a = [list(r) + [Fraction(int(i == j)) for j in range(n)] for i, r in enumerate(rows)]
    for col in range(n):
        piv = next(i for i in range(col, n) if a[i][col] != 0)
        a[col], a[piv] = a[piv], a[col]
        a[col] = [v / a[col][col] for v in a[col]]
        for i in range(n):
            if i != col and a[i][col] != 0:
                a[i] = [v - a[i][col] * p for v, p in zip(a[i], a[col])]
    return [r[n:] for r in a]


@cache
def cook_toom(m: int, r: int = 3, points: tuple | None = None):
    """(Aᵀ (m, α), G (α, r), Bᵀ (α, α)) as float64 arrays for F(m, r) at ``points``
    (α - 1 finite interpolation points; ∞ is added), Bᵀ's rows scaled to integers."""
    points = POINTS[m] if points is None else points
    alpha = m + r - 1
    if len(points) != alpha - 1 or len(set(points)) != alpha - 1:
        raise ValueError(
            f"winograd: F({m},{r}) needs {alpha - 1} distinct finite points, got {points}"
        )
    v_inv = _inverse(_vander(points, alpha))
    bt = [list(col) for col in zip(*v_inv)]  # V⁻ᵀ
    g = _vander(points, r)
    for i, row in enumerate(bt):
        scale = math.lcm(*(v.denominator for v in row))
        bt[i] = [v * scale for v in row]
        g[i] = [v / scale for v in g[i]]
    at = [list(col) for col in zip(*_vander(points, m))]
    host = array_module()
    return tuple(
        host.array([[float(v) for v in row] for row in mat], dtype=float64) for mat in (at, g, bt)
    )


_PLACED: dict = {}  # (m, points, dtype, device) -> (Aᵀ, G, Bᵀ) on that device


def _matrices(m: int, like):
    """F(m, 3)'s (Aᵀ, Bᵀ in ``like``'s dtype, G in float64) on ``like``'s device, built
    once per device: the host constants are copied there on first use only."""
    key = (m, POINTS[m], like.dtype, device_of(like))
    mats = _PLACED.get(key)
    if mats is None:
        at, g, bt = cook_toom(m, 3, POINTS[m])
        mats = _PLACED[key] = tuple(
            same_module(a, like) for a in (at.astype(like.dtype), g, bt.astype(like.dtype))
        )
    return mats


def transform_kernels(w, m: int):
    """U = G g Gᵀ per (out, in) kernel: (O, C, 3, 3) -> (α², C, O), computed in float64
    (G holds fractions such as 1/6) and rounded once to w's dtype."""
    _, g, _ = _matrices(m, w)
    u = array_module(w).einsum("ap,ocpq,bq->abco", g, w.astype(float64), g, optimize=True)
    return array_module(u).ascontiguousarray(u.reshape(-1, *u.shape[2:]), dtype=w.dtype)


def _apply_both(mat, t, k: int):
    """mat (k', k) applied along both leading axes of t (k, k, F) -> (k', k', F):
    two short GEMMs over every tile and channel at once."""
    f = t.shape[-1]
    u = (mat @ t.reshape(k, k * f)).reshape(-1, k, f)  # rows: mat[a,i] t[i,j]
    return array_module(t).matmul(mat, u)  # per a: mat[b,j] u[a,j]


def input_tiles(xpad, m: int, tiles: tuple):
    """Padded channels-last input (N, Hp, Wp, C) -> V = Bᵀ d B for every tile:
    (α², N·TH·TW, C). Bᵀ d first runs on whole image rows (tile rows overlap by α - m,
    so this pass writes α/m times the input, not (α/m)²), then the tiles are gathered
    and d B applied."""
    (_, _, bt), xp = _matrices(m, xpad), array_module(xpad)
    alpha, (n, _, wp, c), (th, tw) = bt.shape[0], xpad.shape, tiles
    s_n, s_h, _, s_c = xpad.strides
    # (N, TH, α, Wp·C): the α image rows of tile row t, a strided stack BLAS reads as is
    rows = as_strided(xpad, (n, th, alpha, wp * c), (s_n, m * s_h, s_h, s_c), writeable=False)
    u = xp.matmul(bt, rows)  # (N, TH, α_a, Wp·C)
    s_u, s_t, s_a, s_e = u.strides  # s_e: one element; an image column is C of them
    # (α_a, α_j, N, TH, TW, C): column j of tile (t, s) is image column m·s + j
    view = as_strided(
        u, (alpha, alpha, n, th, tw, c), (s_a, c * s_e, s_u, s_t, m * c * s_e, s_e), writeable=False
    )
    d = xp.empty(view.shape, dtype=xpad.dtype)
    over_batch(lambda lo, hi: xp.copyto(d[:, :, lo:hi], view[:, :, lo:hi]), n, d.nbytes, like=xpad)
    # per a: d[a] B, i.e. Bᵀ applied along j
    return xp.matmul(bt, d.reshape(alpha, alpha, -1)).reshape(alpha * alpha, -1, c)


def output_tiles(mt, m: int, shape: tuple, bias=None):
    """M (α², N·TH·TW, O) -> Y = Aᵀ M A laid out channels-last (N, OH, OW, O) (+ bias)."""
    (at, _, _), xp = _matrices(m, mt), array_module(mt)
    alpha, o = at.shape[1], mt.shape[-1]
    n, th, tw, oh, ow = shape
    y = _apply_both(at, mt.reshape(alpha, alpha, -1), alpha)  # (m, m, N·TH·TW·O)
    # (m, m, N, TH, TW, O) -> (N, TH, m, TW, m, O): output pixel (m·t + u, m·s + v)
    y = y.reshape(m, m, n, th, tw, o).transpose(2, 3, 0, 4, 1, 5)
    out = xp.empty((n, th, m, tw, m, o), dtype=mt.dtype)
    if bias is None:
        xp.copyto(out, y)
    else:
        xp.add(y, bias, out=out)
    out = out.reshape(n, th * m, tw * m, o)
    return out if (th * m, tw * m) == (oh, ow) else ascontiguousarray(out[:, :oh, :ow])


def geometry(size: tuple, padding: tuple, m: int):
    """Output size (OH, OW), tile counts (TH, TW) and the pads (top, bottom, left, right)
    that make the input cover every tile (extra zeros after the given padding)."""
    (h, w), ((pt, pb), (pl, pr)) = size, padding
    oh, ow = h + pt + pb - 2, w + pl + pr - 2
    th, tw = -(-oh // m), -(-ow // m)
    return (oh, ow), (th, tw), (pt, th * m + 2 - h - pt, pl, tw * m + 2 - w - pl)


def winograd_conv(x, w, padding: tuple, m: int, bias=None, keep_tiles: bool = False):
    """y = conv2d(x, w, padding), 3x3 stride 1, by F(m×m, 3×3): x (N, C, H, W), w (O, C, 3, 3)
    -> channels-last y (N, OH, OW, O), and V (α², tiles, C) when ``keep_tiles``."""
    n = x.shape[0]
    (oh, ow), (th, tw), pads = geometry(x.shape[2:], padding, m)
    v = input_tiles(pad_channels_last(x, *pads), m, (th, tw))
    mt = array_module(v).matmul(v, transform_kernels(w, m))  # α² GEMMs (tiles, C) @ (C, O)
    y = output_tiles(mt, m, (n, th, tw, oh, ow), bias)
    return y, (v if keep_tiles else None)


def winograd_weight_grad(v, dy, m: int, tiles: tuple):
    """∂L/∂w (O, C, 3, 3) from the forward's V (α², tiles, C) and δ (N, O, OH, OW):
    Σ_tiles G' [(A Δ Aᵀ) ⊙ V] G'ᵀ, the ⊙-and-sum as α² GEMMs Vᵀ (C, tiles) @ (tiles, O)."""
    (at, g, _), xp = _matrices(m, dy), array_module(dy)
    n, o, oh, ow = dy.shape
    th, tw = tiles
    dyt = dy.transpose(0, 2, 3, 1)  # (N, OH, OW, O), channels-last in memory usually
    if (th * m, tw * m) != (oh, ow):  # zeros past the output: the cropped pixels
        dyt = xp.zeros((n, th * m, tw * m, o), dtype=dy.dtype)
        dyt[:, :oh, :ow] = dy.transpose(0, 2, 3, 1)
    # (N, TH·m, TW·m, O) -> the δ tiles (m, m, N, TH, TW, O)
    dt = ascontiguousarray(dyt.reshape(n, th, m, tw, m, o).transpose(2, 4, 0, 1, 3, 5))
    alpha = at.shape[1]
    dm = _apply_both(ascontiguousarray(at.T), dt.reshape(m, m, -1), m)  # (α, α, tiles·O)
    du = xp.matmul(v.transpose(0, 2, 1), dm.reshape(alpha * alpha, -1, o))  # (α², C, O)
    du = du.astype(float64).reshape(alpha, alpha, *du.shape[1:])
    dw = xp.einsum("ap,abco,bq->ocpq", g, du, g, optimize=True)
    return xp.ascontiguousarray(dw, dtype=dy.dtype)


def winograd_input_grad(dy, w, padding: tuple, m: int):
    """∂L/∂x (N, H, W, C) channels-last: δ convolved with the flipped, channel-swapped
    kernels, δ padded by 2 - P on each side (the padding of a 3x3 stride-1 conv is ≤ 2)."""
    wf = ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))  # (C, O, 3, 3)
    full = tuple((2 - a, 2 - b) for a, b in padding)
    return winograd_conv(dy, wf, full, m)[0]


def tile_for(
    c: int,
    o: int,
    size: tuple,
    kernel: tuple,
    stride: tuple,
    dilation: tuple,
    groups: int,
    padding: tuple,
    dtype,
    sharded: bool = False,
) -> int:
    """The m of F(m×m, 3×3) for this conv, or 0 for im2col: Winograd needs a 3x3 kernel,
    stride 1, no dilation, one group, padding ≤ 2 and float32/64; then CONV3X3 decides,
    "auto" by ``select``'s measured rule (``sharded``: im2col would run in batch shards)."""
    if (
        tuple(kernel) != (3, 3)
        or tuple(stride) != (1, 1)
        or tuple(dilation) != (1, 1)
        or groups != 1
        or not all(0 <= v <= 2 for p in padding for v in p)
        or dtype not in (float32, float64)
    ):
        return 0
    if CONV3X3 == "auto":  # select decides on the output size
        return select(c, o, *(s + a + b - 2 for s, (a, b) in zip(size, padding)), sharded)
    if CONV3X3 not in _CONV3X3_TILES:
        raise ValueError(
            f"conv2d: NERVE_CONV3X3 must be one of 'auto', 'im2col', 'f2', 'f4', got {CONV3X3!r}"
        )
    return _CONV3X3_TILES[CONV3X3]


def select(c: int, o: int, oh: int, ow: int, sharded: bool = False) -> int:
    """The measured rule: the m of F(m×m, 3×3) for a conv of C -> O channels and an
    OH×OW output, or 0 for im2col (``sharded``: im2col would run in batch shards, one
    per free core, nerve/ops/nn/conv_shards.py; see the second rule below).

    Winograd when C·O/(C + O) ≥ 7 (half the harmonic mean of the channel counts: the
    GEMMs' share of the work, against the transforms' (C + O) passes) and OH, OW ≥ 4;
    then the tile with fewer products, α²·⌈OH/m⌉·⌈OW/m⌉ (ties go to F(2x2), the more
    accurate), which is F(4x4) from 7x7 up.

    Measured by ``python -m benchmarks.conv3x3 --rounds 7`` (2 cores, load average ~12,
    float32, batch 32, pad 1; ms for forward + ∂L/∂x + ∂L/∂W, im2col / F(2x2) / F(4x4)):
    C=O=8 at 8², 16², 32²: 1.0/2.0/1.7, 3.3/5.3/3.7, 12.0/17.9/13.5 (im2col wins);
    C=O=16: 2.0/2.7/2.3 at 8², 7.3/8.9/6.5 at 16², 85/77/59 at 32² (the crossover);
    C=O=24 at 8²: 4.0/4.4/3.4; C=O=32 at 32²: 397/326/235; C=O=64 at 32²: 1568/796/508;
    C=O=128 at 16²: 2490/795/496; C, O = 4, 64: 15.6/43.6/37.1 and 8, 64: 44.8/59.1/39.5
    (C·O/(C + O) = 3.8 and 7.1; for 8, 64 the forward alone is 9.8 against 16.2 by
    F(4x4), the training step's sum favours it); 64, 8: 45.8/48.2/33.6;
    C=O=64 at 7²: 55/34/19, 4²: 9.7/5.4/5.7, 2²: 1.9/3.4/5.9; cnn_train's second conv
    (64, 32 -> 64, 14²): 565/361/313; first layers (C = 1 or 3) are far below the line.

    Sharded (two free cores): im2col's shards keep both cores busy through every pass,
    Winograd's many small passes do not gain from shards, so Winograd needs OH, OW ≥ 16
    (then F(4x4)). Through ``Conv``, forward + ∂L/∂x + ∂L/∂W, ms, best of 9, load
    average 2-3, N, C -> O, size: im2col sharded / F(2x2) / F(4x4) serial: 64, 32 -> 64,
    14²: 9.6 / - / 18.8; 32, 64 -> 64, 8²: 5.6 / 7.5 / 6.8; 32, 128 -> 128, 8²: 17.2 /
    22.1 / 28.7; at 16²: 32 -> 32: 6.9 / 8.8 / 6.1, 64 -> 64: 23.7 / 22.6 / 16.6; at
    32²: 16 -> 16: 18.9 / 21.6 / 13.1, 64 -> 64 (resnet_train's blocks): 118 / 111 / 63.
    The whole cnn_train step: 22-25 ms sharded with im2col against 33-36 by F(4x4) when
    two cores were free; at load average 2.2 (one free core, no shards) F(4x4) stays
    ahead, 36-40 against 41-45 ms by serial im2col.
    """
    if c * o < 7 * (c + o) or min(oh, ow) < (16 if sharded else 4):
        return 0
    f2, f4 = 16 * -(-oh // 2) * -(-ow // 2), 36 * -(-oh // 4) * -(-ow // 4)
    return 4 if f4 < f2 else 2
