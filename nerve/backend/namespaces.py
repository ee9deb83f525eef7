"""The seam: which array module holds an array, and moving arrays between devices.

One dict from array type to module: ``numpy.ndarray -> numpy``, ``StrictArray -> the
strict namespace``, ``cupy.ndarray -> cupy`` (added when CuPy is first loaded). Choosing
the namespace is one dict lookup per argument.
"""

from __future__ import annotations

import numpy as np

from nerve.backend.device import CPU, check_device, cuda_namespace, device
from nerve.backend.strict import StrictArray
from nerve.backend.strict import xp as strict_xp
from nerve.bf16_dtype import NOT_ON_CUDA, is_bf16

_CUDA0 = device("cuda", 0)
MODULES: dict = {np.ndarray: np, StrictArray: strict_xp}
_DEVICE_OF: dict = {np.ndarray: lambda a: CPU, StrictArray: lambda a: _CUDA0}
# callables run once, the first time a device array may exist (Function.apply turns on
# its mixed-device check there, so a CPU-only run never pays for it)
on_first_device: list = []
_in_use = [False]
_get = MODULES.get


def register(array_type: type, module, device_of) -> None:
    """Add an array type of a device backend (``device_of(array) -> device``)."""
    MODULES[array_type] = module
    _DEVICE_OF[array_type] = device_of


def devices_in_use() -> None:
    if not _in_use[0]:
        _in_use[0] = True
        for f in on_first_device:
            f()


def array_module(*xs):
    """The array module (numpy, cupy or the strict namespace) holding the arrays or
    Tensors ``xs``: the first non-NumPy one found decides; numpy when none (or no
    argument) is given."""
    for x in xs:
        m = _get(type(x))
        if m is np:
            continue
        if m is None:
            m = _get(type(getattr(x, "_data", None)))
            if m is None or m is np:
                continue
        return m
    return np


def device_of(a) -> device:
    """The device of an array (anything not a device array, e.g. a scalar, is cpu)."""
    f = _DEVICE_OF.get(type(a))
    return CPU if f is None else f(a)


def is_device_array(a) -> bool:
    t = type(a)
    return t is not np.ndarray and t in MODULES


def to_host(a) -> np.ndarray:
    """A NumPy array with ``a``'s values: ``a`` itself when it is one, else a copy
    (``.get()`` of CuPy and strict arrays)."""
    t = type(a)
    if t is np.ndarray:
        return a
    if t in MODULES:
        return a.get()
    return np.asarray(a)


def to_device(a, dev):
    """``a`` on device ``dev`` (a device or its name): itself when already there, else a
    copy (``cupy.asarray`` / ``.get()``; numpy <-> strict by copy)."""
    d = check_device(dev)
    if d.type == "cpu":
        return to_host(a)
    if device_of(a) == d:
        return a
    if getattr(a, "dtype", None) is not None and is_bf16(a.dtype):
        raise TypeError(NOT_ON_CUDA)
    xp = cuda_namespace()
    if xp is strict_xp:
        return StrictArray(np.array(to_host(a), copy=True))
    from nerve.backend import cupy_backend

    return cupy_backend.to_cupy(a, d.index)


def as_array(x):
    """``x`` when it is an array of a known module; else a NumPy array of it (NumPy's
    0-d reductions give scalars; the graph holds arrays)."""
    return x if type(x) in MODULES else np.asarray(x)


def same_module(x, like):
    """``x`` (an array of any device, or host data) as an array of ``like``'s module and
    device: how an op brings a host-made constant to its inputs' device."""
    d = device_of(like)
    if device_of(x) == d and type(x) in MODULES:
        return x
    return to_device(np.asarray(x) if type(x) not in MODULES else x, d)
