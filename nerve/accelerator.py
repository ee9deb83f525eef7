"""``torch.accelerator``: the device-agnostic accelerator queries of PyTorch 2.6+. The one
accelerator nerve knows is CUDA (CuPy, or the strict stand-in); without it, these answer
as a CPU-only PyTorch does."""

from __future__ import annotations

from nerve.backend import device as _device

__all__ = [
    "current_accelerator",
    "current_device_index",
    "device_count",
    "is_available",
    "set_device_index",
    "synchronize",
]

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    from nerve import cuda

    return cuda.is_available()


def current_accelerator(check_available: bool = False):
    """``device(type='cuda')`` when CUDA is available, else None."""
    return _device("cuda") if is_available() else None


def device_count() -> int:
    from nerve import cuda

    return cuda.device_count()


def current_device_index() -> int:
    if not is_available():
        raise RuntimeError(_NONE)
    from nerve import cuda

    return cuda.current_device()


def set_device_index(device) -> None:
    if not is_available():
        raise RuntimeError(_NONE)
    from nerve import cuda

    cuda.set_device(device)


def synchronize(device=None) -> None:
    if not is_available():
        raise RuntimeError(_NONE)
    from nerve import cuda

    cuda.synchronize(device)
