"""``torch.accelerator``: the device-agnostic accelerator queries of PyTorch 2.6+, as a
CPU-only PyTorch answers them (nerve has no accelerator backend yet)."""

from __future__ import annotations

__all__ = ["current_accelerator", "current_device_index", "device_count", "is_available",
           "set_device_index", "synchronize"]

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    """None: there is no accelerator (PyTorch returns a ``device`` when there is one)."""
    return None


def device_count() -> int:
    return 0


def current_device_index() -> int:
    raise RuntimeError(_NONE)


def set_device_index(device) -> None:
    raise RuntimeError(_NONE)


def synchronize(device=None) -> None:
    raise RuntimeError(_NONE)
