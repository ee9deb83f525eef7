"""Distances and second moments: cdist (one Function), pdist, dist, cov, corrcoef, renorm
(composites)."""

from __future__ import annotations

import math

from nerve.autograd.engine import unbroadcast
from nerve.autograd.function import Function, wrap
from nerve.backend import array_module
from nerve.backend.arrayfns import errstate
from nerve.dtypes import bool as bool_
from nerve.dtypes import float32, is_floating
from nerve.ops.math.elementary import vector_norm
from nerve.ops.math.elementwise import need_tensor, where
from nerve.tensor import ops_table
from nerve.tensor import wrap_dim as _dim

__all__ = ["cdist", "corrcoef", "cov", "dist", "pdist", "renorm"]


def _mT(a):  # noqa: N802
    return array_module(a).swapaxes(a, -1, -2)


class Cdist(Function):
    """dᵢⱼ = ‖x1ᵢ - x2ⱼ‖_p over the rows of (…, P, M) and (…, R, M).

    p = 2 uses the Gram form d² = ‖a‖² + ‖b‖² - 2 a·b (one GEMM; clamped at 0), and
    ∂L/∂x1ᵢ = Σⱼ δᵢⱼ (x1ᵢ - x2ⱼ) / dᵢⱼ  as two GEMMs (0 where dᵢⱼ = 0).
    Other p: with Δ = x1ᵢ - x2ⱼ,  ∂dᵢⱼ/∂Δ = sign(Δ) |Δ|^(p-1) / d^(p-1);  p = ∞: sign(Δ) at the
    largest |Δ|;  p = 0 (a count): 0.  ∂L/∂x2 is the same with the sign flipped."""

    def forward(self, a, b, p=2.0):
        self.a, self.b, self.p, xp = a, b, p, array_module(a, b)
        if p == 2:
            sq = (a * a).sum(-1)[..., :, None] + (b * b).sum(-1)[..., None, :] - 2 * a @ _mT(b)
            self.d = xp.sqrt(xp.maximum(sq, 0))
            return self.d
        diff = xp.abs(a[..., :, None, :] - b[..., None, :, :])  # (…, P, R, M)
        if p == 0:
            self.d = (diff != 0).sum(-1).astype(a.dtype)
        elif math.isinf(p):
            self.d = diff.max(-1) if diff.shape[-1] else diff.sum(-1)
        else:
            self.d = (diff**p).sum(-1) ** (1 / p)
        return self.d

    def backward(self, dy):
        a, b, p, d = self.a, self.b, self.p, self.d
        xp = array_module(dy)
        if p == 0:
            return xp.zeros_like(a), xp.zeros_like(b)
        if p == 2:
            with errstate(xp, divide="ignore", invalid="ignore"):
                w = xp.where(d > 0, dy / d, 0)
            da = w.sum(-1)[..., :, None] * a - w @ b
            db = _mT(w).sum(-1)[..., :, None] * b - _mT(w) @ a
            return unbroadcast(da, a.shape), unbroadcast(db, b.shape)
        diff = a[..., :, None, :] - b[..., None, :, :]
        ad = xp.abs(diff)
        dd = d[..., None]
        with errstate(xp, divide="ignore", invalid="ignore"):
            if math.isinf(p):
                g = xp.sign(diff) * (ad == dd)
            else:
                g = xp.sign(diff) * ad ** (p - 1) / dd ** (p - 1)
        g = xp.where((dd > 0) & xp.isfinite(g), g, 0) * dy[..., None]
        da, db = g.sum(-2), -g.sum(-3)
        return unbroadcast(da, a.shape), unbroadcast(db, b.shape)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances between the rows of x1 (…, P, M) and x2 (…, R, M)."""
    need_tensor("cdist", x2, "x2")
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    if not is_floating(x1.dtype) or not is_floating(x2.dtype):
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {x1.dtype}")
    if x1.dtype != x2.dtype:
        raise RuntimeError(
            f"cdist: X1 and X2 must have the same dtype, got {x1.dtype} and {x2.dtype}"
        )
    return Cdist.apply(x1, x2, p=float(p))


def pdist(input, p=2):  # noqa: A002 - PyTorch's argument names
    """The distances between all pairs i < j of the rows of (N, M) input, as a vector of
    N(N-1)/2, in row-major order of the pairs."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if not is_floating(input.dtype):
        raise RuntimeError(f"pdist only supports floating-point dtypes, got {input.dtype}")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    xp = array_module(input)
    i, j = xp.triu_indices(input.shape[0], 1)
    diff = input[i] - input[j]  # (pairs, M)
    if p == 2:  # the norm's gradient at a zero difference is 0, as PyTorch's
        sq = (diff * diff).sum(1)
        safe = where(sq > 0, sq, wrap(xp.ones((), input.dtype))).sqrt()
        return where(sq > 0, safe, wrap(xp.zeros((), input.dtype)))
    return vector_norm(diff, p, 1)


def dist(input, other, p=2):
    need_tensor("dist", other)
    return vector_norm(input - other, p)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the variables in the rows of (V, N) input (observations in columns),
    with optional integer frequency and real observation weights."""
    if input.ndim > 2:
        raise RuntimeError(
            f"cov(): expected input to have two or fewer dimensions but got an "
            f"input with {input.ndim} dimensions"
        )
    if input.dtype == bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    if not is_floating(x.dtype):
        x = x.to(float32)
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = fweights.to(x.dtype)
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if w is None:
        wsum = n
        avg = x.mean(1, keepdim=True)
        norm = wsum - correction
    else:
        w = w.to(x.dtype)
        wsum = w.sum()
        avg = (x * w).sum(1, keepdim=True) / wsum
        norm = (
            wsum - correction
            if aweights is None or correction == 0
            else wsum - correction * (w * aweights).sum() / wsum
        )
    c = x - avg
    cw = c if w is None else c * w
    if not hasattr(norm, "_data"):
        norm = max(norm, 0)
    out = (cw @ c.mT) / norm
    return out.reshape(()) if input.ndim < 2 else out


def corrcoef(input):
    """Pearson correlations: cov / √(var_i var_j), clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    return (c / d.reshape(-1, 1) / d.reshape(1, -1)).clamp(-1, 1)


def renorm(input, p, dim, maxnorm):
    """Each slice along ``dim`` whose p-norm exceeds maxnorm is scaled down to norm maxnorm
    (by maxnorm / (norm + 1e-7)); the others stay."""

    if input.ndim <= 1:
        raise RuntimeError(
            f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions"
        )
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported, got {p}")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = _dim(dim, input.ndim, "renorm")
    others = tuple(i for i in range(input.ndim) if i != d)
    norm = vector_norm(input, p, others, keepdim=True)
    big = norm._data > maxnorm
    one = array_module(input).ones((), input.dtype)
    scale = where(wrap(big), maxnorm / (norm + 1e-7), wrap(one))
    return input * scale


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(corrcoef, cov, dist, renorm)
