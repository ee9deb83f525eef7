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

# ----- the op families: _OPS below binds the names of their __all__
from nerve.functional import arithmetic as _arithmetic
from nerve.functional import compare as _compare
from nerve.functional import counting as _counting
from nerve.functional import logical as _logical
from nerve.functional import products as _products
from nerve.ops import Take as _Take
from nerve.ops import export as _export
from nerve.ops.linalg import decompositions as _decompositions
from nerve.ops.linalg import distance as _distance
from nerve.ops.linalg import einsum as _einsum
from nerve.ops.linalg import matmul as _matmul
from nerve.ops.math import elementary as _elementary
from nerve.ops.math import elementwise as _elementwise
from nerve.ops.math import elementwise_extrema as _elementwise_extrema
from nerve.ops.math import transcendental as _transcendental
from nerve.ops.nn import activation as _activation
from nerve.ops.reduce import reductions as _reductions
from nerve.ops.reduce import scan as _scan
from nerve.ops.reduce import sorting as _sorting
from nerve.ops.reduce import statistics as _statistics
from nerve.ops.shape import dims as _dims
from nerve.ops.shape import index_write as _index_write
from nerve.ops.shape import indexing as _indexing
from nerve.ops.shape import padding as _padding
from nerve.ops.shape import rearrange as _rearrange
from nerve.ops.shape import rearrange_triangles as _rearrange_triangles
from nerve.ops.shape import scatter as _scatter

from nerve.linalg import tensor_norm as norm
from nerve import linalg

import builtins  # this module's int, sum, all ... are nerve's

import numpy as _np

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


# ----- the ops: what each family's __all__ offers to torch's top level (nerve/ops/__init__.py's
# Take and export). These names shadow builtins such as all, any, round and sum in this
# module: the functions below use builtins.*
_OPS = (
    # the families of torch's top level, whole
    *map(
        _Take,
        (
            _elementwise,
            _elementwise_extrema,
            _transcendental,
            _arithmetic,
            _compare,
            _logical,
            _counting,
            _matmul,
            _einsum,
            _distance,
            _reductions,
            _scan,
            _sorting,
            _statistics,
            _rearrange,
            _rearrange_triangles,
            _dims,
            _indexing,
            _index_write,
            _padding,
        ),
    ),
    # what torch keeps at its top level of families it shares with torch.linalg and
    # torch.nn.functional (the top-level spellings of F's ops: nerve/top_level_functional.py)
    _Take(_elementary, but=("normalize", "vector_norm")),
    _Take(_products, but=("multi_dot",)),
    _Take(_scatter, but=("one_hot",)),
    _Take(
        _decompositions,
        only=(
            "cholesky",
            "det",
            "inverse",
            "logdet",
            "matrix_exp",
            "matrix_power",
            "pinverse",
            "slogdet",
            "svd",
        ),
    ),
    _Take(_activation, only=("log_softmax", "relu", "sigmoid", "softmax", "tanh")),
)
_export(globals(), _OPS)


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
