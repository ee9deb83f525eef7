"""Devices: ``nerve.device``, which backend a "cuda" device resolves to, and the errors.

"cuda" resolves to CuPy (imported lazily, the first time "cuda" is asked for), or to the
strict CPU stand-in (nerve/backend/strict.py) when ``NERVE_TEST_DEVICE=strict`` is set or
:func:`use_strict_device` was called; ``import nerve`` never imports cupy.
"""

from __future__ import annotations

import os

INSTALL = (
    "install CuPy for your CUDA version: pip install cupy-cuda12x (CUDA 12), "
    "pip install cupy-cuda13x (CUDA 13), or add [ctk] (cupy-cuda12x[ctk]) to get the "
    "CUDA toolkit libraries from pip too; pip install nerve[gpu] brings cupy-cuda12x"
)


class device:  # noqa: N801 - PyTorch's name
    """A device name such as ``cpu`` or ``cuda:0``; compares equal to its string."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index  # noqa: A001
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type  # noqa: A001 - torch.device(0) is cuda:0
        name, _, idx = str(type).partition(":")
        if name not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {type}"
            )
        if idx and not idx.isdigit():
            raise RuntimeError(f"Invalid device string: '{type}'")
        self.type = name
        self.index = int(idx) if idx else index
        if self.index is not None and self.index < 0:
            raise RuntimeError(f"Device index must not be negative, got {self.index}")

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return (
            f"device(type='{self.type}')"
            if self.index is None
            else (f"device(type='{self.type}', index={self.index})")
        )


CPU = device("cpu")


class CUDAUnavailableError(AssertionError, RuntimeError):
    """What a CPU-only PyTorch raises (AssertionError "Torch not compiled with CUDA
    enabled") for CUDA work; a RuntimeError too, as nerve raised before."""


def no_cuda(what: str = "", why: str = "") -> CUDAUnavailableError:
    why = why or "CuPy is not installed"
    return CUDAUnavailableError(
        f"{what + ': ' if what else ''}nerve not compiled with CUDA enabled: device 'cuda' "
        f"needs CuPy and a GPU ({why}); {INSTALL}; or run on 'cpu'"
    )


_strict = {"on": None}


def strict_enabled() -> bool:
    """True when "cuda" is the strict stand-in (NERVE_TEST_DEVICE=strict or
    :func:`use_strict_device`)."""
    on = _strict["on"]
    if on is None:
        on = _strict["on"] = os.environ.get("NERVE_TEST_DEVICE", "").lower() == "strict"
    return on


def use_strict_device(on: bool | None = True) -> None:
    """Make "cuda" resolve to the strict CPU stand-in (``on``), or to CuPy again (False);
    None goes back to what NERVE_TEST_DEVICE says."""
    _strict["on"] = None if on is None else bool(on)


def cuda_namespace(what: str = ""):
    """The array module of "cuda": the strict namespace or cupy; raises
    CUDAUnavailableError (with how to install CuPy) when there is none."""
    from nerve.backend import namespaces

    if strict_enabled():
        from nerve.backend.strict import xp

        namespaces.devices_in_use()
        return xp
    from nerve.backend import cupy_backend

    cp, why = cupy_backend.load()
    if cp is None:
        raise no_cuda(what, why)
    namespaces.devices_in_use()
    return cp


def cuda_available() -> bool:
    if strict_enabled():
        return True
    from nerve.backend import cupy_backend

    return cupy_backend.load()[0] is not None


def cuda_device_count() -> int:
    if strict_enabled():
        return 1
    from nerve.backend import cupy_backend

    return cupy_backend.device_count()


def check_device(dev, what: str = "") -> device:
    """``dev`` as a device that exists here, with the index filled in for "cuda"
    (the current device); PyTorch's errors otherwise."""
    d = dev if type(dev) is device else device(dev)
    if d.type == "cpu":
        return d
    cuda_namespace(what)
    n = cuda_device_count()
    index = current_index() if d.index is None else d.index
    if index >= n:
        raise RuntimeError(
            f"CUDA error: invalid device ordinal ({what or 'device'} "
            f"'cuda:{index}' asked for; {n} CUDA device(s) visible)"
        )
    return device("cuda", index)


_current = {"index": 0}


def current_index() -> int:
    return _current["index"]


def set_current_index(index: int) -> None:
    _current["index"] = int(index)
