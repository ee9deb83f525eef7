"""Scans: cumulative sums and products along one dimension."""

from __future__ import annotations

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.dtypes import int8, int16, int32
from nerve.ops.linalg.linear_map import linear_op_graph
from nerve.tensor import ops_table
from nerve.tensor import wrap_dim as _dim

__all__ = ["cumprod", "cumsum"]


def _rev_cumsum(a, axis):
    """Σ_{i ≥ j} aᵢ along ``axis``: a cumulative sum run from the end."""
    xp = array_module(a)
    return xp.flip(xp.cumsum(xp.flip(a, axis), axis=axis), axis)


class Cumsum(Function):
    """yᵢ = Σ_{j ≤ i} xⱼ along ``dim``;  ∂L/∂xⱼ = Σ_{i ≥ j} δᵢ (δ summed from the end)"""

    def forward(self, x, dim=0):
        xp = array_module(x)
        self.dim = dim
        return xp.cumsum(x, axis=dim)

    def backward(self, dy):
        return _rev_cumsum(dy, self.dim)

    def backward_graph(self, dy):
        return linear_op_graph(self, dy, dim=self.dim)


class Cumprod(Function):
    """yᵢ = Π_{j ≤ i} xⱼ along ``dim``;  ∂L/∂xⱼ = Σ_{i ≥ j} δᵢ Π_{k ≤ i, k ≠ j} xₖ,
    which is (Σ_{i ≥ j} δᵢ yᵢ) / xⱼ when no x is zero.

    With zeros the division is undefined, so the products that skip xⱼ are formed
    explicitly (an n×n table per row; only rows of such inputs pay for it)."""

    def forward(self, x, dim=0):
        xp = array_module(x)
        self.x, self.dim = x, dim
        self.y = xp.cumprod(x, axis=dim)
        return self.y

    def backward(self, dy):
        xp = array_module(dy)
        x, ax = self.x, self.dim
        if xp.all(x != 0):  # one host sync on a device, to skip the n×n table
            return _rev_cumsum(dy * self.y, ax) / x
        xm, g = xp.moveaxis(x, ax, -1), xp.moveaxis(dy, ax, -1)
        n = xm.shape[-1]
        later = xp.arange(n)[None, :] > xp.arange(n)[:, None]  # (k, i): i > k
        # (..., n) -> (..., n, n): row k holds x_i for i > k and 1 elsewhere, so its
        # cumulative product at column j ≥ k is Π_{k < i ≤ j} x_i
        tail = xp.cumprod(xp.where(later, xm[..., None, :], 1), axis=-1)
        head = xp.cumprod(xm, axis=-1)
        head = xp.concatenate([xp.ones_like(xm[..., :1]), head[..., :-1]], axis=-1)
        upper = later | xp.eye(n, dtype=bool)  # (k, j): j ≥ k
        dx = head * (xp.where(upper, g[..., None, :] * tail, 0)).sum(axis=-1)
        return xp.moveaxis(dx.astype(x.dtype, copy=False), -1, ax)


def _scan(cls, input, dim, dtype, op: str):  # noqa: A002 - PyTorch's argument names
    x = input if dtype is None else input.to(dtype)
    if x.dtype.kind in "bu" or x.dtype == int32 or x.dtype == int16 or x.dtype == int8:
        x = x.long()  # PyTorch scans integers and bools in int64
    d = _dim(dim, x.ndim, op)
    if x.ndim == 0:
        return cls.apply(x.reshape(1), dim=0).reshape(())
    return cls.apply(x, dim=d)


def cumsum(input, dim, *, dtype=None):
    return _scan(Cumsum, input, dim, dtype, "cumsum")


def cumprod(input, dim, *, dtype=None):
    return _scan(Cumprod, input, dim, dtype, "cumprod")


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(cumprod, cumsum)
