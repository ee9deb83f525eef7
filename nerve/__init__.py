"""nerve: a small deep-learning framework on NumPy with PyTorch's API."""

from nerve.tensor import Size, Tensor  # noqa: I001  (Tensor first, then the ops it calls)
from nerve import ops as _ops  # noqa: F401  (fills the table Tensor's methods call)
from nerve import functional  # (the composites: fills the table's x.eq, x.nonzero ...)
from nerve import autograd
from nerve.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from nerve.autograd import is_anomaly_enabled
from nerve.backend import device
from nerve.backend import allocator as _allocator  # noqa: F401  (malloc reuses big blocks)
from nerve.dtypes import (
    bfloat16,
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from nerve.random import (
    Generator,
    default_generator,
    get_rng_state,
    manual_seed,
    seed,
    set_rng_state,
    initial_seed,
)
from nerve.creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from nerve.ops.nn.activation import log_softmax, relu, sigmoid, softmax, tanh
from nerve.ops.math.elementwise import (
    abs,
    add,
    div,
    exp,
    log,
    mul,
    neg,
    pow,
    sqrt,
    square,
    sub,
    where,
)
from nerve.ops.math.elementwise_extrema import clamp, clip, maximum, minimum
from nerve.ops.math.transcendental import cos, sin
from nerve.ops.shape.indexing import gather, index_select, masked_fill
from nerve.ops.linalg.matmul import bmm, dot, matmul, mm, outer
from nerve.ops.reduce.reductions import amax, amin, logsumexp, max, mean, min, prod, std, sum, var
from nerve.ops.shape.rearrange import (
    broadcast_to,
    cat,
    chunk,
    concat,
    concatenate,
    expand,
    flatten,
    pad,
    permute,
    repeat,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    t,
    transpose,
    unbind,
    unflatten,
    unsqueeze,
)
from nerve.ops.shape.rearrange import (
    flip,
    fliplr,
    flipud,
    repeat_interleave,
    roll,
)
from nerve.ops.shape.rearrange_triangles import diag, diagonal, trace, tril, triu
from nerve.ops.reduce.scan import cumprod, cumsum
from nerve.ops.reduce.sorting import argsort, kthvalue, msort, sort, topk
from nerve.ops.shape.scatter import index_add, masked_select, scatter, scatter_add
from nerve.ops.linalg.einsum import einsum
from nerve.ops.math.elementary import arctan2, atan2, erf, expm1, isclose, lerp, log1p
from nerve.linalg import tensor_norm as norm
from nerve import linalg

import builtins  # this module's int, sum, all ... are nerve's

import numpy as _np

# elementwise math, comparisons, logic and dtype utilities (these names shadow builtins
# such as all, any and round inside this module: the functions below use builtins.*)
from nerve.ops.math.transcendental import (
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,  # noqa: I001
    arctan,
    arctanh,
    asin,
    asinh,
    atan,
    atanh,
    copysign,
    cosh,
    deg2rad,
    digamma,
    erfc,
    erfinv,
    exp2,
    fix,
    float_power,
    fmod,
    frac,
    hypot,
    i0,
    ldexp,
    lgamma,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    logit,
    mvlgamma,
    nan_to_num,
    polygamma,
    rad2deg,
    reciprocal,
    remainder,
    rsqrt,
    sinc,
    sinh,
    tan,
    trunc,
    xlogy,
)
from nerve.functional.logical import (
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    floor_divide,
    gcd,
    ge,
    greater,
    greater_equal,
    gt,
    heaviside,
    is_nonzero,
    isin,
    isneginf,
    isposinf,
    isreal,
    lcm,
    le,
    less,
    less_equal,
    logical_and,
    logical_or,
    logical_xor,
    lt,
    ne,
    nextafter,
    not_equal,
    signbit,
)
from nerve.functional.arithmetic import (
    absolute,
    divide,
    multiply,
    negative,
    positive,
    sgn,
    subtract,
    true_divide,
)
from nerve.functional.compare import (
    all,
    any,
    ceil,
    count_nonzero,
    floor,
    isfinite,
    isinf,
    logical_not,
    round,
)
from nerve.dtypes_info import (
    can_cast,
    finfo,
    iinfo,
    is_complex,
    is_floating_point,
    promote_types,
    result_type,
)
from nerve.printing import set_printoptions

# shapes, reductions, linear algebra and indexing
# (ops.shape.dims, ops.reduce.statistics, ops.linalg.decompositions, ...)
from nerve.functional.products import (
    addbmm,
    addcdiv,
    addcmul,
    addmm,
    addmv,
    addr,
    baddbmm,
    chain_matmul,
    inner,
    kron,
    mv,
    tensordot,
    vdot,
)
from nerve.ops.linalg.decompositions import (
    cholesky,
    det,
    inverse,
    logdet,
    matrix_exp,
    matrix_power,
    pinverse,
    slogdet,
    svd,
)
from nerve.ops.linalg.distance import cdist, corrcoef, cov, dist, pdist, renorm
from nerve.ops.shape.index_write import (
    diagonal_scatter,
    index_copy,
    index_fill,
    index_put,
    index_reduce,
    masked_scatter,
    scatter_reduce,
    select_scatter,
    slice_scatter,
    take,
    take_along_dim,
)
from nerve.functional.counting import (
    argwhere,
    bincount,
    bucketize,
    histc,
    nonzero,
    searchsorted,
    unique,
    unique_consecutive,
)
from nerve.ops.shape.dims import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    block_diag,
    broadcast_shapes,
    broadcast_tensors,
    cartesian_prod,
    column_stack,
    combinations,
    diag_embed,
    diagflat,
    diff,
    dsplit,
    dstack,
    hsplit,
    hstack,
    meshgrid,
    moveaxis,
    movedim,
    narrow,
    narrow_copy,
    ravel,
    rot90,
    row_stack,
    select,
    split_with_sizes,
    swapdims,
    tensor_split,
    tile,
    tril_indices,
    triu_indices,
    unravel_index,
    vander,
    vsplit,
    vstack,
)
from nerve.ops.reduce.statistics import (
    aminmax,
    cummax,
    cummin,
    cumulative_trapezoid,
    logcumsumexp,
    median,
    mode,
    nanmean,
    nanmedian,
    nanquantile,
    nansum,
    quantile,
    std_mean,
    trapezoid,
    trapz,
    var_mean,
)
from nerve.backend.threads import get_num_threads, set_num_threads

from nerve import data, nn, optim, train  # (after the core they build on)

# torch's top-level spellings of nn.functional ops (torch.conv2d ...)
from nerve.top_level_functional import *  # noqa: F403
from nerve.io import load, save
from nerve.creation import from_dlpack  # noqa: F401
from nerve import utils  # (torch.utils.data's name for nerve.data)
from nerve import special, testing
from nerve import func  # (torch.func's functional_call)
from nerve import distributions  # (uses the ops and nn.functional above)
from nerve import accelerator, amp, backends, cuda  # (CPU PyTorch's answers)
from nerve.amp import autocast, is_autocast_enabled
from nerve import distributed  # (mpi4py loads only when a process group starts)
from nerve import onnx  # (the onnx package loads only when export/load_model run)
from nerve.legacy_tensors import (
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from nerve.model_summary import summary  # (torchinfo's model summary)

from nerve.backend import check_device as _check_device
from nerve.dtypes import to_dtype as _to_dtype
from nerve.tensor.core import to_array as _to_array


from nerve.version import __version__  # noqa: E402


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input) -> int:
    return input.numel()


def argmax(input, dim=None, keepdim=False):
    return input.argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return input.argmin(dim, keepdim)


def sign(input):
    return input.sign()


def eq(input, other):
    return input == other


def allclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False):
    return input.allclose(other, rtol, atol, equal_nan)


def equal(input, other):
    return input.equal(other)


def isnan(input):
    return input.isnan()


def clone(input):
    return input.clone()


def clamp_min(input, min):  # noqa: A002, F811 - PyTorch's argument names
    return input.clamp_min(min)


def clamp_max(input, max):  # noqa: A002, F811
    return input.clamp_max(max)


dtype = _np.dtype  # nerve.float32 etc. are NumPy dtypes: isinstance(x.dtype, nerve.dtype)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):  # noqa: F811
    """``obj`` as a Tensor, sharing memory with a Tensor or NumPy array when the dtype
    allows (``copy=True`` always copies, ``copy=False`` refuses to)."""
    want = None if dtype is None else _np.dtype(dtype)
    if isinstance(obj, Tensor) and (want is None or want == obj.dtype) and not copy:
        return obj.requires_grad_() if requires_grad else obj
    src = obj._data if isinstance(obj, Tensor) else obj
    if isinstance(src, _np.ndarray) and want is not None and want != src.dtype and copy is False:
        raise ValueError(f"can't alias tensor with dtype '{src.dtype}' into dtype '{want}'.")
    arr = _to_array(obj, want)
    if copy and _np.shares_memory(arr, src) if isinstance(src, _np.ndarray) else copy:
        arr = arr.copy()
    out = Tensor._wrap(arr)
    if device is not None:
        out = out.to(_check_device(device))
    return out.requires_grad_() if requires_grad else out


def empty_strided(
    size,
    stride,
    *,
    dtype=None,
    layout=None,
    device=None,  # noqa: F811
    requires_grad=False,
    pin_memory=False,
):
    """An uninitialised tensor of ``size`` whose strides (in elements) are ``stride``."""
    if device is not None:
        _check_device(device)
    size = tuple(builtins.int(s) for s in size)
    stride = tuple(builtins.int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(
            f"mismatch in length of strides and shape: {len(size)} sizes and {len(stride)} strides"
        )
    d = get_default_dtype() if dtype is None else _to_dtype(dtype)
    n = 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride)) if 0 not in size else 0
    base = _np.empty(n, d)
    arr = _np.lib.stride_tricks.as_strided(base, size, tuple(s * d.itemsize for s in stride))
    out = Tensor._wrap(arr)
    return out.requires_grad_() if requires_grad else out


def typename(obj) -> str:
    """'nerve.FloatTensor' for a tensor, else the object's class with its module."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"
