"""More reductions and scans: median, nanmedian, mode, quantile, nanquantile, nansum,
nanmean, cummax, cummin, logcumsumexp, aminmax, std_mean, var_mean and the trapezoid rules.

The selections (median, mode, cummax, …) find their indices on the arrays and take the values
with Gather, so the gradient goes to the selected element, as in PyTorch."""

from __future__ import annotations

from collections import namedtuple

from nerve.autograd.function import Function, wrap
from nerve.backend import array_module
from nerve.backend.arrayfns import accumulate, errstate
from nerve.dtypes import float64, int64, is_floating
from nerve.ops.math.elementwise import need_tensor, where
from nerve.ops.reduce import reductions as R
from nerve.ops.reduce.scan import cumsum
from nerve.ops.shape import rearrange as S
from nerve.ops.shape.dims import diff, movedim
from nerve.ops.shape.indexing import Gather
from nerve.tensor import ops_table
from nerve.tensor import wrap_dim as check

__all__ = [
    "aminmax", "cummax", "cummin", "cumulative_trapezoid", "logcumsumexp", "median", "mode",
    "nanmean", "nanmedian", "nanquantile", "nansum", "quantile", "std_mean", "trapezoid",
    "trapz", "var_mean",
]  # fmt: skip

MedianResult = namedtuple("median", ["values", "indices"])
NanMedianResult = namedtuple("nanmedian", ["values", "indices"])
ModeResult = namedtuple("mode", ["values", "indices"])
CummaxResult = namedtuple("cummax", ["values", "indices"])
CumminResult = namedtuple("cummin", ["values", "indices"])
AminmaxResult = namedtuple("aminmax", ["min", "max"])


def _dim(d, ndim, op):
    return check(d, ndim, op)


def _pick(op, result, input, dim, keepdim, choose):  # noqa: A002 - PyTorch's names
    """values and indices of the entry ``choose(a, axis) -> (…, 1, …) indices`` picks."""
    x = input.reshape(1) if input.ndim == 0 else input
    d = _dim(dim, x.ndim, op)
    if x.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    idx = choose(x._data, d).astype(int64)
    values = Gather.apply(x, index=idx, dim=d)
    if input.ndim == 0:
        return result(values.reshape(()), wrap(idx.reshape(())))
    if not keepdim:
        return result(S.squeeze(values, d), wrap(idx.squeeze(d)))
    return result(values, wrap(idx))


def _middle(a, axis, skip_nan):
    """Index of the lower middle of the sorted row; a NaN's index when the row has one
    (median), or the middle of the non-NaN entries (nanmedian)."""
    xp = array_module(a)
    order = xp.argsort(a, axis=axis, kind="stable")  # NaN sorts last
    nan = xp.isnan(a) if a.dtype.kind == "f" else xp.zeros(a.shape, bool)
    if skip_nan:
        k = xp.maximum((a.shape[axis] - nan.sum(axis, keepdims=True) - 1) // 2, 0)
        return xp.take_along_axis(order, k, axis)
    mid = xp.take(order, xp.arange((a.shape[axis] - 1) // 2, (a.shape[axis] + 1) // 2), axis=axis)
    first_nan = xp.argmax(nan, axis=axis, keepdims=True)
    return xp.where(nan.any(axis, keepdims=True), first_nan, mid)


def _even_over_ties(input, value):
    """``value`` (a 0-d array) as a function of input whose gradient is shared evenly among
    the entries equal to it, as PyTorch's full reductions do."""
    a = input._data
    xp = array_module(a)
    hit = xp.where(xp.isnan(value), xp.isnan(a), a == value)  # no host sync on a device
    count = xp.maximum(hit.sum(), 1).astype(input.dtype)
    return where(wrap(hit), input, wrap(xp.zeros((), input.dtype))).sum() / wrap(count)


def median(input, dim=None, keepdim=False):
    """The lower median (of n entries, the ((n-1)//2)-th smallest); NaN if any is NaN."""
    _no_bool(input, "median")
    if dim is None:
        return _full_median(input, skip_nan=False)
    return _pick("median", MedianResult, input, dim, keepdim, lambda a, d: _middle(a, d, False))


def nanmedian(input, dim=None, keepdim=False):
    """median ignoring NaN entries (NaN only where a row is all NaN)."""
    _no_bool(input, "nanmedian")
    if dim is None:
        return _full_median(input, skip_nan=True)
    return _pick(
        "nanmedian", NanMedianResult, input, dim, keepdim, lambda a, d: _middle(a, d, True)
    )


def _no_bool(input, op: str) -> None:
    if input.dtype.kind == "b":
        raise NotImplementedError(f"{op}: not implemented for dtype bool")


def _full_median(input, skip_nan):
    flat = input._data.reshape(-1)
    xp = array_module(flat)
    if flat.size == 0:
        return wrap(xp.asarray(float("nan"), dtype=input.dtype))
    value = flat[_middle(flat, 0, skip_nan)].reshape(())
    if not is_floating(input.dtype):
        return wrap(value)
    return _even_over_ties(input, value)


def _mode_index(a, axis):
    """Index of the most frequent value (the smallest on ties; its last occurrence)."""
    xp = array_module(a)
    rows = xp.moveaxis(a, axis, -1)
    shape = rows.shape
    rows = rows.reshape(-1, shape[-1])  # (…, n) -> (R, n)
    order = xp.argsort(rows, axis=1, kind="stable")
    s = xp.take_along_axis(rows, order, 1)
    n = s.shape[1]
    j = xp.broadcast_to(xp.arange(n), s.shape)
    starts = xp.ones(s.shape, bool)
    starts[:, 1:] = s[:, 1:] != s[:, :-1]
    ends = xp.ones(s.shape, bool)
    ends[:, :-1] = starts[:, 1:]
    first = accumulate("maximum", xp.where(starts, j, 0), axis=1)
    last = xp.flip(accumulate("minimum", xp.flip(xp.where(ends, j, n), 1), axis=1), 1)
    best = xp.argmax(last - first, axis=1)  # the first (smallest) of the longest runs
    rows_i = xp.arange(len(best))
    pos = last[rows_i, best]
    idx = order[rows_i, pos]
    return xp.expand_dims(idx.reshape(shape[:-1]), axis)


def mode(input, dim=-1, keepdim=False):
    return _pick("mode", ModeResult, input, dim, keepdim, _mode_index)


def _cum_extreme(op, result, input, dim, better):
    """Running max/min and the index of its (latest) attainer; NaN propagates."""
    x = input.reshape(1) if input.ndim == 0 else input
    d = _dim(dim, x.ndim, op)
    a = x._data
    xp = array_module(a)
    run = accumulate(better, a, axis=d) if a.size else a
    attains = (a == run) | (xp.isnan(a) if is_floating(a.dtype) else False)
    shape = [1] * a.ndim
    shape[d] = a.shape[d]
    j = xp.arange(a.shape[d]).reshape(shape)
    idx = (
        accumulate("maximum", xp.where(attains, j, 0), axis=d)
        if a.size
        else xp.zeros(a.shape, int64)
    )
    idx = idx.astype(int64)
    values = Gather.apply(x, index=idx, dim=d)
    if input.ndim == 0:
        return result(values.reshape(()), wrap(idx.reshape(())))
    return result(values, wrap(idx))


def cummax(input, dim):
    return _cum_extreme("cummax", CummaxResult, input, dim, "maximum")


def cummin(input, dim):
    return _cum_extreme("cummin", CumminResult, input, dim, "minimum")


class LogCumSumExp(Function):
    """yᵢ = log Σ_{j ≤ i} e^(xⱼ) (running logaddexp);
    ∂L/∂xⱼ = Σ_{i ≥ j} δᵢ e^(xⱼ - yᵢ), formed in log space for δ > 0 and δ < 0 apart, so
    that no exponential overflows."""

    def forward(self, x, dim=0):
        self.x, self.dim = x, dim
        self.y = accumulate("logaddexp", x, axis=dim) if x.size else x.copy()
        return self.y

    def backward(self, dy):
        d = self.dim
        xp = array_module(dy)
        with errstate(xp, divide="ignore", invalid="ignore"):
            parts = []
            for g in (xp.maximum(dy, 0), xp.maximum(-dy, 0)):
                t = xp.log(g) - self.y  # log(δᵢ e^(-yᵢ)), -inf where δᵢ = 0
                rev = xp.flip(accumulate("logaddexp", xp.flip(t, d), axis=d), d)
                parts.append(xp.exp(self.x + rev))
        return xp.nan_to_num(parts[0] - parts[1], nan=0.0)


def logcumsumexp(input, dim):
    if not is_floating(input.dtype):
        raise RuntimeError(
            f"logcumsumexp(): expected input to have floating point dtype but got {input.dtype}"
        )
    if input.ndim == 0:
        return LogCumSumExp.apply(input.reshape(1), dim=0).reshape(())
    return LogCumSumExp.apply(input, dim=_dim(dim, input.ndim, "logcumsumexp"))


def aminmax(input, *, dim=None, keepdim=False):
    if input.numel() == 0:
        raise RuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the "
            "operation has no identity."
        )
    dims = () if dim is None else dim
    lo, hi = R.amin(input, dims, keepdim), R.amax(input, dims, keepdim)
    if dim is None and keepdim:
        lo, hi = lo.reshape((1,) * input.ndim), hi.reshape((1,) * input.ndim)
    return AminmaxResult(lo, hi)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (
        R.std(input, dim, unbiased, keepdim, correction=correction),
        R.mean(input, dim, keepdim),
    )


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (
        R.var(input, dim, unbiased, keepdim, correction=correction),
        R.mean(input, dim, keepdim),
    )


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    x = input if dtype is None else input.to(dtype)
    if is_floating(x.dtype):
        xp = array_module(x._data)
        x = where(wrap(xp.isnan(x._data)), wrap(xp.zeros((), x.dtype)), x)
    return R.sum(x, dim, keepdim)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    x = input if dtype is None else input.to(dtype)
    if not is_floating(x.dtype):
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype "
            f"but got {_tname(x.dtype)}"
        )
    axes = R._axes(x, dim, "nanmean")
    xp = array_module(x._data)
    count = (~xp.isnan(x._data)).sum(axis=axes, keepdims=keepdim)
    return nansum(x, dim, keepdim) / wrap(xp.asarray(count, dtype=x.dtype))


def _tname(dtype):
    return {"int64": "Long", "int32": "Int", "bool": "Bool"}.get(str(dtype), str(dtype))


def _quantile(op, input, q, dim, keepdim, interpolation, skip_nan):
    if not is_floating(input.dtype):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    modes = ("linear", "lower", "higher", "midpoint", "nearest")
    if interpolation not in modes:
        raise RuntimeError(
            f"{op}() interpolation must be one of linear, lower, higher, "
            f"midpoint or nearest. Got {interpolation}"
        )
    if hasattr(q, "_data"):
        if q.dtype != input.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
        if q.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
        qa, scalar_q = q._data.astype(float64), q.ndim == 0
    else:
        qa = array_module(input._data).asarray(q, dtype=float64)
        scalar_q = qa.ndim == 0
    qa = qa.reshape(-1)
    # a host sync on a device, as torch's check has
    if qa.size and (qa.min() < 0 or qa.max() > 1):
        raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    if input.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    x = (
        S.reshape(input, -1)
        if dim is None
        else movedim(input, _dim(dim, max(input.ndim, 1), op), -1)
    )
    if x.ndim == 0:
        x = S.reshape(x, 1)
    xs = x.sort(-1).values  # (…, n), NaN last; the gradient goes back through the sort
    a = xs._data
    xp = array_module(a)
    n = a.shape[-1]
    nan = xp.isnan(a)
    count = (n - nan.sum(-1, keepdims=True)) if skip_nan else xp.full(a.shape[:-1] + (1,), n)
    # in the input's dtype, as torch: 0.1 * 5 rounds to 1 in float32 'nearest', 0 in float64
    rank = qa.astype(input.dtype) * (count - 1).astype(input.dtype)  # (…, Q)
    rank = xp.where(count == 0 if skip_nan else nan.any(-1, keepdims=True), n - 1, rank)
    lo, hi = xp.floor(rank), xp.ceil(rank)
    if interpolation == "nearest":
        lo = hi = xp.round(rank)
    elif interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    v_lo = Gather.apply(xs, index=lo.astype(int64), dim=xs.ndim - 1)
    out = v_lo
    if interpolation in ("linear", "midpoint"):
        v_hi = Gather.apply(xs, index=hi.astype(int64), dim=xs.ndim - 1)
        w = xp.asarray(0.5 if interpolation == "midpoint" else rank - lo, dtype=input.dtype)
        w = xp.where(hi == lo, 0, w).astype(input.dtype)
        out = v_lo + (v_hi - v_lo) * wrap(w)
    if keepdim:  # (…, Q) -> (…, 1 at the reduced dims, Q)
        if dim is None:
            out = S.reshape(out, (1,) * input.ndim + (-1,))
        else:
            out = movedim(S.unsqueeze(out, -2), -2, _dim(dim, max(input.ndim, 1), op))
    out = movedim(out, -1, 0)
    return S.squeeze(out, 0) if scalar_q else out


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles along ``dim`` (of all entries if None); q a number or a 1-D
    tensor (its dim comes first). NaN where a row has a NaN."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, skip_nan=False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile ignoring NaN entries (NaN only where a row is all NaN)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, skip_nan=True)


def _bool_y_or_x(op, y, x):
    need_tensor(op, y, "y", 1)
    if x is not None:  # a spacing given as a number goes in dx=
        need_tensor(op, x, "x")
    if y.dtype.kind == "b" or getattr(getattr(x, "dtype", None), "kind", None) == "b":
        raise RuntimeError(f"{op}: received a bool input for `x` or `y`, but bool is not supported")


def _spacing(op, y, x, dx, d):
    if x is None:
        return 1.0 if dx is None else dx
    if x.ndim == 1:
        dxs = x[1:] - x[:-1]
        return S.reshape(dxs, (-1,) + (1,) * (y.ndim - 1 - d))
    return diff(x, dim=d - y.ndim)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """∫ y dx ≈ Σᵢ (yᵢ + yᵢ₊₁)/2 · Δxᵢ along ``dim`` (Δx from ``x`` or the constant dx)."""
    _bool_y_or_x("trapezoid", y, x)
    d = _dim(dim, y.ndim, "trapezoid")
    if y.shape[d] == 0:
        return y.sum(d)
    pre = (slice(None),) * d
    pair = y[pre + (slice(1, None),)] + y[pre + (slice(None, -1),)]
    return (pair * _spacing("trapezoid", y, x, dx, d)).sum(d) / 2


def trapz(y, x=None, *, dx=None, dim=-1):
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid sums (one fewer entry than y along ``dim``)."""
    _bool_y_or_x("cumulative_trapezoid", y, x)
    d = _dim(dim, y.ndim, "cumulative_trapezoid")
    pre = (slice(None),) * d
    pair = y[pre + (slice(1, None),)] + y[pre + (slice(None, -1),)]
    return cumsum(pair * _spacing("cumulative_trapezoid", y, x, dx, d), d) / 2


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(
    aminmax,
    cummax,
    cummin,
    logcumsumexp,
    median,
    mode,
    nanmean,
    nanmedian,
    nanquantile,
    nansum,
    quantile,
)
