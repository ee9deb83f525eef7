"""Special functions (log1p, expm1, erf, atan2) and vector norms, with the composites
built on them: lerp, normalize, cosine_similarity, pairwise_distance."""

from __future__ import annotations

import math

from nerve.autograd.function import Function, wrap
from nerve.backend import array_module
from nerve.backend.arrayfns import broadcast_shapes, errstate
from nerve.dtypes import float64, is_floating, result_type
from nerve.ops.math.elementwise import Abs, Exp, Where, _floating, _promote, need_tensor
from nerve.ops.nn.activation import _erf_series, _erfc_tail
from nerve.ops.reduce.reductions import _axes, _expand_graph
from nerve.ops.shape.rearrange import broadcast_to
from nerve.tensor import ops_table

__all__ = [
    "arctan2", "atan2", "cosine_similarity", "erf", "expm1", "isclose", "lerp", "log1p",
    "normalize", "pairwise_distance", "vector_norm",
]  # fmt: skip

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class Log1p(Function):
    """y = ln(1 + x), exact for tiny x;  ∂L/∂x = δ / (1 + x)"""

    def forward(self, x):
        xp = array_module(x)
        self.x = x = _floating(x)
        with errstate(xp, divide="ignore", invalid="ignore"):
            return xp.log1p(x)

    def backward(self, dy):
        xp = array_module(dy)
        with errstate(xp, divide="ignore"):
            return dy / (1 + self.x)

    def backward_graph(self, dy):
        return dy / (self.parents[0] + 1)


class Expm1(Function):
    """y = eˣ - 1, exact for tiny x;  ∂L/∂x = δ · (y + 1)"""

    def forward(self, x):
        xp = array_module(x)
        self.y = xp.expm1(_floating(x))
        return self.y

    def backward(self, dy):
        return dy * (self.y + 1)

    def backward_graph(self, dy):
        return dy * Exp.apply(self.parents[0])


class Erf(Function):
    """y = erf x = 2/√π ∫₀ˣ e^(-t²) dt;  ∂L/∂x = δ · 2/√π · e^(-x²)"""

    def forward(self, x):
        self.x = x = _floating(x)
        return _erf(x).astype(x.dtype)

    def backward(self, dy):
        xp = array_module(dy)
        return dy * (_TWO_OVER_SQRT_PI * xp.exp(-self.x * self.x))

    def backward_graph(self, dy):
        x = self.parents[0]
        return dy * Exp.apply(-(x * x)) * _TWO_OVER_SQRT_PI


def _erf(x):
    """erf in float64: the Maclaurin series for |x| < 2 (keeps the relative accuracy of
    tiny arguments), 1 - erfc by the continued fraction beyond (shared with GELU's Φ)."""
    xp = array_module(x)
    z = xp.asarray(x, float64)
    out = xp.empty_like(z)
    mid = xp.abs(z) < 2
    out[mid] = _erf_series(z[mid])
    big = ~mid & ~xp.isnan(z)
    out[big] = xp.sign(z[big]) * (1 - _erfc_tail(xp.abs(z[big])))
    out[xp.isnan(z)] = math.nan
    return out


class Atan2(Function):
    """y = atan2(a, b), the angle of the point (b, a);  with r² = a² + b²:
    ∂L/∂a = δ · b / r²,  ∂L/∂b = -δ · a / r²"""

    def forward(self, a, b):
        xp = array_module(a)
        a, b = _promote(a, b)
        self.a, self.b = a, b = _floating(xp.asarray(a)), _floating(xp.asarray(b))
        return xp.arctan2(a, b)

    def backward(self, dy):
        xp = array_module(dy)
        a, b = self.a, self.b
        with errstate(xp, divide="ignore", invalid="ignore"):
            r2 = a * a + b * b
            da = dy * b / r2 if self.needs_input_grad[0] else None
            db = -dy * a / r2 if self.needs_input_grad[1] else None
        return da, db


class VectorNorm(Function):
    """y = (Σ |x|ᵖ)^(1/p) over the axes (p = ∞: max |x|, p = -∞: min |x|, p = 0: count ≠ 0);
    ∂L/∂x = δ · sign(x) |x|ᵖ⁻¹ / yᵖ⁻¹  (p = 2: δ · x / y, 0 where y = 0; p = ±∞: δ shared
    evenly among the elements reaching the max/min; p = 0: 0).

    The sum runs on x / max|x|, so large entries cannot overflow (nor tiny ones underflow)."""

    def forward(self, x, ord=2.0, axis=None, keepdim=False):  # noqa: A002 - PyTorch's name
        xp = array_module(x)
        self.x, self.ord, self.axis, self.keepdim = x, ord, axis, keepdim
        a = xp.abs(x)
        if ord == math.inf or ord == -math.inf:
            y = (a.max if ord > 0 else a.min)(axis=axis, keepdims=True)
        elif ord == 0:
            y = (a != 0).sum(axis=axis, keepdims=True).astype(x.dtype)
        else:
            m = a.max(axis=axis, keepdims=True) if a.size else xp.ones((), x.dtype)
            m = xp.where(m > 0, m, xp.ones((), x.dtype))
            with errstate(xp, divide="ignore"):
                s = a / m
                y = m * (s**ord).sum(axis=axis, keepdims=True) ** (1 / ord)
        self.y = y.astype(x.dtype, copy=False)
        return self.y if keepdim else _squeeze(self.y, axis)

    def backward(self, dy):
        xp = array_module(dy)
        x, y, p = self.x, self.y, self.ord
        g = _unsqueeze(dy, x.ndim, self.axis, self.keepdim)
        if p == 0:
            return xp.zeros_like(x)
        if p == math.inf or p == -math.inf:
            hit = xp.abs(x) == y
            return g * xp.sign(x) * hit / hit.sum(axis=self.axis, keepdims=True)
        with errstate(xp, divide="ignore", invalid="ignore"):
            if p == 2:
                dx = g * x / y
            elif p == 1:
                return g * xp.sign(x)
            else:
                dx = g * xp.sign(x) * (xp.abs(x) / y) ** (p - 1)
        return xp.where(y == 0, xp.zeros((), x.dtype), dx) if p > 1 else dx

    def backward_graph(self, dy):
        """The same rule as nerve ops, y recomputed from x (1 where y = 0: there x = 0)."""
        xp = array_module(dy)

        x, p = self.parents[0], self.ord
        g = _expand_graph(dy, self.x.shape, self.axis, self.keepdim)
        if p == 0:
            return None
        if p == math.inf or p == -math.inf or p == 1:
            share = xp.sign(self.x)
            if p != 1:
                hit = xp.abs(self.x) == self.y
                share = share * hit / hit.sum(axis=self.axis, keepdims=True)
            return g * share.astype(dy.dtype)
        y = VectorNorm.apply(x, ord=p, axis=self.axis, keepdim=True)
        y = Where.apply(self.y != 0, y, xp.ones((), dy.dtype))
        if p == 2:
            return g * x / y
        return g * xp.sign(self.x) * (Abs.apply(x) / y) ** (p - 1)


def _squeeze(y, axis):
    xp = array_module(y)
    return y.reshape(()) if axis is None else xp.squeeze(y, axis=axis)


def _unsqueeze(dy, ndim, axis, keepdim):
    xp = array_module(dy)
    if keepdim:
        return dy
    return dy.reshape((1,) * ndim) if axis is None else xp.expand_dims(dy, axis)


def log1p(input):  # noqa: A002 - PyTorch's argument names
    return Log1p.apply(input)


def expm1(input):
    return Expm1.apply(input)


def erf(input):
    return Erf.apply(input)


def atan2(input, other):
    need_tensor("atan2", other)
    return Atan2.apply(input, other)


arctan2 = atan2


def lerp(input, end, weight):
    """input + weight · (end - input): a composite, its gradient follows from Sub/Mul/Add."""
    return input + weight * (end - input)


def same_dtype_tensors(op: str, input, other):
    """isclose/allclose compare two tensors of one dtype, as PyTorch's do; returns other."""
    if not hasattr(other, "_data"):
        raise TypeError(
            f"{op}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}"
        )
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(
            f"{op}: {input._data.dtype} did not match {other._data.dtype} "
            "(both tensors must have the same dtype)"
        )
    return other


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| ≤ atol + rtol · |other| elementwise (a bool tensor, no gradient)."""
    xp = array_module(input)

    b = same_dtype_tensors("isclose", input, other)._data
    return wrap(xp.isclose(input._data, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.vector_norm: the p-norm of the entries over ``dim`` (all by default)."""
    if dtype is not None:
        x = x.to(dtype)
    if not is_floating(x.dtype):
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point tensor as input. Got {x.dtype}"
        )
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    axis = _axes(x, dim, "linalg.vector_norm")
    if x._data.size == 0 and float(ord) < 0:
        raise RuntimeError("linalg.vector_norm cannot compute the negative norm of an empty tensor")
    return VectorNorm.apply(x, ord=float(ord), axis=axis, keepdim=keepdim)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(‖x‖ₚ, eps) along ``dim`` (F.normalize)."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported")
    n = vector_norm(input, p, dim, keepdim=True)
    return input / n.clamp(min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Σ (x₁ / max(‖x₁‖, eps)) (x₂ / max(‖x₂‖, eps)) along ``dim``, the inputs broadcast
    (each side normalised first, so large norms cannot overflow their product)."""
    need_tensor("cosine_similarity", x2, "x2")
    try:
        shape = broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise RuntimeError(
            f"cosine_similarity: shapes {tuple(x1.shape)} and {tuple(x2.shape)} cannot be broadcast"
        ) from None
    x1, x2 = broadcast_to(x1, shape), broadcast_to(x2, shape)
    if x1.dtype != x2.dtype:  # computed in the promoted dtype (integers alone are refused)
        d = result_type(x1._data, x2._data)
        x1, x2 = x1.to(d), x2.to(d)
    n1 = vector_norm(x1, 2, dim, keepdim=True).clamp(min=eps)
    n2 = vector_norm(x2, 2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """‖x₁ - x₂ + eps‖ₚ over the last dimension (F.pairwise_distance)."""
    need_tensor("pairwise_distance", x2, "x2")
    d = x1 - x2 + eps
    return vector_norm(d, p, -1 if d.ndim else None, keepdim=keepdim)


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(atan2, erf, expm1, isclose, lerp, log1p)
