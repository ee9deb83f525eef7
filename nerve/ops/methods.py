"""Attach the ops' wrapper functions to Tensor as methods (``x.sum()``, ``x.view(...)``)."""

from __future__ import annotations

from nerve.backend import MODULES_OF, array_module
from nerve.backend.arrayfns import namespace_for
from nerve.dtypes import to_dtype
from nerve.ops import activation as A
from nerve.ops import compare as C
from nerve.ops import elementwise as E
from nerve.ops import indexing as I
from nerve.ops import inplace as P
from nerve.ops import linalg as L
from nerve.ops import reduce as R
from nerve.ops import shape as S
from nerve.tensor import Tensor

_METHODS = {
    "add": E.add, "sub": E.sub, "mul": E.mul, "div": E.div, "neg": E.neg, "pow": E.pow,
    "exp": E.exp, "log": E.log, "sqrt": E.sqrt, "abs": E.abs, "sin": E.sin, "cos": E.cos,
    "square": E.square, "maximum": E.maximum, "minimum": E.minimum, "clamp": E.clamp,
    "clip": E.clamp, "tanh": A.tanh, "sigmoid": A.sigmoid, "relu": A.relu,
    "softmax": A.softmax, "log_softmax": A.log_softmax,
    "sum": R.sum, "mean": R.mean, "var": R.var, "std": R.std, "max": R.max, "min": R.min,
    "amax": R.amax, "amin": R.amin, "prod": R.prod, "logsumexp": R.logsumexp,
    "reshape": S.reshape, "view": S.view, "flatten": S.flatten, "unflatten": S.unflatten,
    "squeeze": S.squeeze, "unsqueeze": S.unsqueeze, "permute": S.permute,
    "transpose": S.transpose, "swapaxes": S.transpose, "t": S.t, "expand": S.expand,
    "repeat": S.repeat, "split": S.split, "chunk": S.chunk, "unbind": S.unbind,
    "gather": I.gather, "index_select": I.index_select, "masked_fill": I.masked_fill,
    "matmul": L.matmul, "mm": L.mm, "bmm": L.bmm, "dot": L.dot, "outer": L.outer,
    "__getitem__": I.getitem,
    "argmax": C.argmax, "argmin": C.argmin, "equal": C.equal, "allclose": C.allclose,
    "any": C.any, "all": C.all, "count_nonzero": C.count_nonzero, "nonzero": C.nonzero,
    "logical_not": C.logical_not, "sign": C.sign, "isnan": C.isnan, "isinf": C.isinf,
    "isfinite": C.isfinite, "floor": C.floor, "ceil": C.ceil, "round": C.round,
    "add_": P.add_, "sub_": P.sub_, "mul_": P.mul_, "div_": P.div_, "clamp_": P.clamp_,
    "clip_": P.clamp_, "copy_": P.copy_, "fill_": P.fill_, "zero_": P.zero_,
    "uniform_": P.uniform_, "normal_": P.normal_, "bernoulli_": P.bernoulli_,
    "masked_fill_": P.masked_fill_, "__setitem__": P.setitem,
}

for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)

# ----- the API gaps: scans, sorting, scatters, reorderings, special functions, norms -----
from nerve import linalg as _linalg  # noqa: E402
from nerve.ops import mathfns as M  # noqa: E402
from nerve.ops import scan as SC  # noqa: E402
from nerve.ops import scatter as SCT  # noqa: E402
from nerve.ops import sorting as SO  # noqa: E402

_GAPS = {
    "cumsum": SC.cumsum, "cumprod": SC.cumprod, "sort": SO.sort, "argsort": SO.argsort,
    "topk": SO.topk, "kthvalue": SO.kthvalue, "msort": SO.msort, "flip": S.flip,
    "fliplr": S.fliplr, "flipud": S.flipud, "roll": S.roll, "tril": S.tril, "triu": S.triu,
    "diag": S.diag, "diagonal": S.diagonal, "trace": S.trace,
    "repeat_interleave": S.repeat_interleave, "scatter": SCT.scatter,
    "scatter_add": SCT.scatter_add, "index_add": SCT.index_add,
    "masked_select": SCT.masked_select, "norm": _linalg.tensor_norm, "log1p": M.log1p,
    "expm1": M.expm1, "erf": M.erf, "atan2": M.atan2, "arctan2": M.atan2, "lerp": M.lerp,
    "isclose": M.isclose, "clamp_min": P.clamp_min, "clamp_max": P.clamp_max,
    **P.MATH_INPLACE,
}
for _name, _fn in _GAPS.items():
    setattr(Tensor, _name, _fn)


def _new(fill):
    """``x.new_zeros(size)`` and friends: a new leaf with x's dtype unless one is given."""
    def new(self, *size, dtype=None, device=None, requires_grad=False):
        shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], tuple | list) else size
        arr = fill(_namespace(self, device), tuple(int(n) for n in shape),
                   to_dtype(dtype or self.dtype))
        out = Tensor._wrap(arr)
        return out.requires_grad_(True) if requires_grad else out

    return new


def _namespace(self, device):
    """The array module of ``device``, or of this tensor when none is given."""
    return array_module(self._data) if device is None else namespace_for(device)


Tensor.new_zeros = _new(lambda xp, shape, dt: xp.zeros(shape, dt))
Tensor.new_ones = _new(lambda xp, shape, dt: xp.ones(shape, dt))
Tensor.new_empty = _new(lambda xp, shape, dt: xp.empty(shape, dt))


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    xp = _namespace(self, device)
    out = Tensor._wrap(xp.full(tuple(size), fill_value, to_dtype(dtype or self.dtype)))
    return out.requires_grad_(True) if requires_grad else out


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    arr = data._data if isinstance(data, Tensor) else data
    xp = _namespace(self, device)
    out = Tensor._wrap(xp.array(arr, dtype=to_dtype(dtype or self.dtype), copy=True))
    return out.requires_grad_(True) if requires_grad else out


Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor


def _expand_as(self, other):
    E.need_tensor("expand_as", other, pos=1)
    return S.expand(self, tuple(other.shape))


def _view_as(self, other):
    E.need_tensor("view_as", other, pos=1)
    return S.reshape(self, tuple(other.shape))


def _where(self, condition, other):
    return E.where(condition, self, other)


def _rsqrt(self):
    return 1.0 / E.sqrt(self)


Tensor.expand_as = _expand_as
Tensor.view_as = _view_as
Tensor.reshape_as = _view_as
Tensor.where = _where
Tensor.rsqrt = _rsqrt


def _cast_method(dtype):
    def cast(self):
        return self.to(dtype)

    cast.__doc__ = f"This tensor as {dtype} (itself when it already is)."
    return cast


for _name, _dtype in (("float", "float32"), ("double", "float64"), ("half", "float16"),
                      ("long", "int64"), ("int", "int32"), ("bool", "bool"),
                      ("short", "int16"), ("char", "int8"), ("byte", "uint8")):
    setattr(Tensor, _name, _cast_method(to_dtype(_dtype)))

# ----- more elementwise math, comparisons, logic (mathfns_more, compare_more, aliases) -----
from nerve import dtypes_info as _DI  # noqa: E402
from nerve.ops import aliases as _AL  # noqa: E402
from nerve.ops import compare_more as _CM  # noqa: E402
from nerve.ops import inplace_more as _PM  # noqa: E402
from nerve.ops import mathfns_more as _MM  # noqa: E402

_MORE = {
    **{name: getattr(_MM, name) for name in (
        "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "asinh",
        "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "log2", "log10", "exp2",
        "reciprocal", "trunc", "fix", "frac", "fmod", "remainder", "hypot", "logaddexp",
        "logaddexp2", "xlogy", "lgamma", "digamma", "mvlgamma", "erfc", "erfinv", "i0",
        "logit", "sinc", "copysign", "nan_to_num", "float_power", "ldexp", "deg2rad",
        "rad2deg")},
    **{name: getattr(_CM, name) for name in (
        "greater", "greater_equal", "less", "less_equal", "not_equal", "logical_and",
        "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
        "bitwise_not", "gcd", "lcm", "nextafter", "heaviside", "signbit", "isneginf",
        "isposinf", "isreal", "floor_divide", "is_nonzero")},
    **{name: getattr(_AL, name) for name in (
        "absolute", "divide", "true_divide", "multiply", "subtract", "negative", "positive",
        "sgn", "floor", "ceil", "round")},
    "polygamma": lambda self, n: _MM.polygamma(n, self), "is_complex": _DI.is_complex,
    **_PM.INPLACE_MORE,
}
for _name, _fn in _MORE.items():
    setattr(Tensor, _name, _fn)

# ----- shapes, reductions, linear algebra and indexing (shape_more, reduce_more, ...) -----
from nerve.ops import counting as _CO  # noqa: E402
from nerve.ops import distance as _DS  # noqa: E402
from nerve.ops import index_more as _IX  # noqa: E402
from nerve.ops import linalg_more as _LM  # noqa: E402
from nerve.ops import products as _PR  # noqa: E402
from nerve.ops import reduce_more as _RM  # noqa: E402
from nerve.ops import shape_more as _SM  # noqa: E402
from nerve.ops.inplace import inplace_call as _inplace_call  # noqa: E402

_SHAPES = {
    **{name: getattr(_PR, name) for name in (
        "addbmm", "addcdiv", "addcmul", "addmm", "addmv", "addr", "baddbmm", "mv", "inner",
        "kron", "vdot")},
    **{name: getattr(_LM, name) for name in (
        "det", "inverse", "slogdet", "logdet", "pinverse", "matrix_power", "matrix_exp",
        "cholesky", "svd")},
    **{name: getattr(_DS, name) for name in ("cov", "corrcoef", "dist", "renorm")},
    **{name: getattr(_IX, name) for name in (
        "take", "take_along_dim", "index_fill", "index_copy", "index_put", "index_reduce",
        "masked_scatter", "scatter_reduce", "select_scatter", "slice_scatter",
        "diagonal_scatter")},
    **{name: getattr(_CO, name) for name in (
        "argwhere", "nonzero", "bincount", "histc", "unique", "unique_consecutive")},
    **{name: getattr(_SM, name) for name in (
        "diag_embed", "diagflat", "tile", "ravel", "movedim", "moveaxis", "swapdims", "narrow",
        "narrow_copy", "tensor_split", "hsplit", "vsplit", "dsplit", "diff", "rot90", "unfold",
        "select", "sum_to_size", "split_with_sizes")},
    **{name: getattr(_RM, name) for name in (
        "median", "nanmedian", "mode", "nanmean", "nansum", "quantile", "nanquantile",
        "logcumsumexp", "cummax", "cummin", "aminmax")},
    "ndimension": lambda self: self.ndim,
    "is_same_size": lambda self, other: E.need_tensor("is_same_size", other, pos=1) or
    tuple(self.shape) == tuple(other.shape),
    "stride": lambda self, dim=None: _stride(self, dim),
    "storage_offset": lambda self: _storage_offset(self),
    "new_empty_strided": lambda self, size, stride, *, dtype=None, device=None,
    requires_grad=False: self.new_empty(tuple(size), dtype=dtype, requires_grad=requires_grad),
}


def _stride(self, dim=None):
    """Steps in elements between neighbours along each dim (of the underlying array)."""
    strides = tuple(s // self._data.itemsize for s in self._data.strides)
    if dim is None:
        return strides
    from nerve.tensor import _dim

    return strides[_dim(dim, self.ndim, "stride")]


def _storage_offset(self):
    """Elements between the start of the base array and this view's first element."""
    arr, base = self._data, self._data
    while type(base.base) in MODULES_OF:  # NumPy's array interface: a CPU tensor's
        base = base.base
    start = arr.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    return start // arr.itemsize if arr.itemsize else 0


def _inplace_of(name, fn):
    def method(self, *args, **kwargs):
        return _inplace_call(self, name + "_", fn, *args, **kwargs)

    method.__name__ = name + "_"
    method.__doc__ = f"In-place ``{name}``: the result is written into this tensor."
    return method


for _name in ("index_fill", "index_copy", "index_put", "index_reduce", "masked_scatter",
              "scatter_reduce", "addmm", "addmv", "addr", "addbmm", "baddbmm", "addcmul",
              "addcdiv", "renorm", "logcumsumexp", "tril", "triu"):
    if not hasattr(Tensor, _name + "_"):
        _SHAPES[_name + "_"] = _inplace_of(_name, _SHAPES.get(_name) or getattr(Tensor, _name))
for _name, _fn in _SHAPES.items():
    setattr(Tensor, _name, _fn)
