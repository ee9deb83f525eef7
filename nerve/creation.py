"""Tensor creation: tensor, zeros, ones, full, arange, linspace, eye, random draws."""

from __future__ import annotations

import numbers

import numpy as np

from nerve import dtypes
from nerve import random as _random
from nerve.backend import check_device, cuda_namespace, to_device
from nerve.backend.namespaces import MODULES as _MODULES
from nerve.tensor.core import Tensor
from nerve.tensor.core import to_array as _to_array


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = tuple(size[0])
    shape = tuple(int(s) for s in size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    return shape


def _make(arr, requires_grad: bool, device=None) -> Tensor:
    """A leaf around ``arr`` (made on the host), moved to ``device`` when one is given: so
    draws and values are the same whichever device the tensor is made on."""
    if device is not None:
        arr = to_device(arr, check_device(device, "tensor creation"))
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float(dtype) -> np.dtype:
    return dtypes.get_default_dtype() if dtype is None else dtypes.to_dtype(dtype)


def _float_only(dtype, op: str) -> np.dtype:
    d = _float(dtype)
    if not dtypes.is_floating(d):
        raise NotImplementedError(f"{op}: draws only floating point dtypes, got {d}")
    return d


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``; Python floats become float32."""
    arr = _to_array(data, dtype)
    return _make(
        arr.copy() if type(arr) is not np.ndarray else np.array(arr, copy=True),
        requires_grad,
        device,
    )


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array when the dtype allows."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtypes.to_dtype(dtype)):
        return data
    return _make(_to_array(data, dtype), False, device)


def from_numpy(array: np.ndarray) -> Tensor:
    kind = getattr(getattr(array, "dtype", None), "kind", None)
    if kind == "V" and not dtypes.is_floating(array.dtype):  # bfloat16 is NumPy's kind V
        raise TypeError(f"can't convert np.ndarray of dtype {array.dtype} to a tensor")
    return Tensor._wrap(array)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(_shape(size), _float(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(_shape(size), _float(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _make(np.empty(_shape(size), _float(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = (
            dtypes.bool
            if isinstance(fill_value, bool)
            else dtypes.int64
            if isinstance(fill_value, int)
            else dtypes.get_default_dtype()
        )
    return _make(
        np.full(_shape((size,)), fill_value, dtypes.to_dtype(dtype)), requires_grad, device
    )


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = dtypes.int64 if ints else dtypes.get_default_dtype()
    return _make(np.arange(start, end, step).astype(dtypes.to_dtype(dtype)), requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _make(np.linspace(start, end, int(steps)).astype(_float(dtype)), requires_grad, device)


def logspace(
    start, end, steps, base=10.0, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    return _make(
        np.logspace(start, end, int(steps), base=base).astype(_float(dtype)), requires_grad, device
    )


def eye(n, m=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _make(np.eye(n, m, dtype=_float(dtype)), requires_grad, device)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    arr = (
        _random.rng(generator)
        .random(_shape(size), dtype=np.float64)
        .astype(_float_only(dtype, "rand"))
    )
    return _make(arr, requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    arr = _random.rng(generator).standard_normal(_shape(size)).astype(_float_only(dtype, "randn"))
    return _make(arr, requires_grad, device)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None) -> Tensor:
    """Integers uniform on [low, high); int64 by default."""
    if size is None and isinstance(high, tuple | list):
        size, high = high, None  # randint(high, size)
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if low >= high:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    arr = _random.rng(generator).integers(low, high, _shape((size,)))
    return _make(arr.astype(dtypes.to_dtype(dtype) or dtypes.int64), False, device)


def randperm(n, generator=None, dtype=None, device=None) -> Tensor:
    arr = _random.rng(generator).permutation(int(n))
    return _make(arr.astype(dtypes.to_dtype(dtype) or dtypes.int64), False, device)


def normal(
    mean=0.0,
    std=1.0,
    size=None,
    generator=None,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    arr = _random.rng(generator).normal(mean, std, _shape((size,)) if size else None)
    return _make(np.asarray(arr, _float(dtype)), requires_grad, device)


def bernoulli(input, generator=None) -> Tensor:  # noqa: A002 - PyTorch's argument name
    p = input._data
    return Tensor._wrap((_random.rng(generator).random(p.shape) < p).astype(p.dtype))


def multinomial(input, num_samples, replacement=False, generator=None) -> Tensor:
    """Draw category indices with probabilities proportional to the rows of ``input``.

    All rows at once: with replacement by inverting each row's cumulative distribution,
    without replacement by the Gumbel top-k trick (the k largest of log p + Gumbel noise
    are distributed as k draws without replacement)."""
    p = np.asarray(input._data, np.float64)
    rows = p.reshape(-1, p.shape[-1])  # (..., K) -> (R, K)
    k = rows.shape[1]
    if (rows < 0).any() or not np.isfinite(rows).all() or (rows.sum(axis=1) <= 0).any():
        raise RuntimeError(
            "multinomial: probabilities must be finite, non-negative and "
            "have a positive sum in every row"
        )
    if not replacement and num_samples > k:
        raise RuntimeError(
            f"multinomial: cannot sample {num_samples} > {k} categories without replacement"
        )
    g = _random.rng(generator)
    if replacement:
        cdf = np.cumsum(rows, axis=1)
        u = g.random((rows.shape[0], num_samples)) * cdf[:, -1:]
        # (R, S, 1) vs (R, 1, K): count the categories whose cumulative mass is <= u
        out = (cdf[:, None, :] <= u[:, :, None]).sum(axis=2).clip(max=k - 1)
    else:
        with np.errstate(divide="ignore"):
            keys = np.log(rows) + g.gumbel(size=rows.shape)
        out = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return Tensor._wrap(out.reshape(p.shape[:-1] + (num_samples,)).astype(np.int64))


def _like(fn):
    def like(input, dtype=None, device=None, requires_grad: bool = False, **kw):
        d = dtype or input.dtype
        device = input.device if device is None else device
        if fn in (rand, randn) and not dtypes.is_floating(d):
            d = dtypes.get_default_dtype()
        return fn(*input.shape, dtype=d, device=device, requires_grad=requires_grad, **kw)

    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"``{fn.__name__}`` with the shape (and by default the dtype) of ``input``."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full(
        tuple(input.shape),
        fill_value,
        dtype=dtype or input.dtype,
        device=input.device if device is None else device,
        requires_grad=requires_grad,
    )


def randint_like(input, low, high=None, dtype=None, device=None) -> Tensor:
    return randint(
        low,
        high,
        tuple(input.shape),
        dtype=dtype or input.dtype,
        device=input.device if device is None else device,
    )


def from_dlpack(ext):
    """A tensor sharing memory with ``ext``: any object with ``__dlpack__`` (a NumPy or
    CuPy array, a torch tensor) or a DLPack capsule; host memory gives a CPU tensor, CUDA
    memory a cuda one (through CuPy)."""
    if isinstance(ext, Tensor):
        return Tensor._wrap(ext._data)
    if type(ext) in _MODULES:
        return Tensor._wrap(ext)
    dev = ext.__dlpack_device__()[0] if hasattr(ext, "__dlpack_device__") else 1
    if dev == 1:  # kDLCPU
        return Tensor._wrap(np.from_dlpack(ext))
    xp = cuda_namespace("nerve.from_dlpack()")
    return Tensor._wrap(xp.from_dlpack(ext))
