"""Array modules per device. Ops call ``array_module(x)`` rather than numpy directly,
so that a CuPy backend ("cuda") can be added without touching them."""

from __future__ import annotations

import numpy as np


class device:  # noqa: N801 - PyTorch's name
    """A device name such as ``cpu``; compares equal to its string."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device = "cpu", index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        name, _, idx = str(type).partition(":")
        if name not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {type}"
            )
        self.type = name
        self.index = int(idx) if idx else index

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else (
            f"device(type='{self.type}', index={self.index})")


CPU = device("cpu")


def array_module(x=None):
    """The array module (numpy; cupy later) that holds ``x``."""
    return np


class CUDAUnavailableError(AssertionError, RuntimeError):
    """What a CPU-only PyTorch raises (AssertionError "Torch not compiled with CUDA
    enabled") for CUDA work; a RuntimeError too, as nerve raised before."""


def no_cuda(what: str = "") -> CUDAUnavailableError:
    return CUDAUnavailableError(
        f"{what + ': ' if what else ''}nerve not compiled with CUDA enabled: nerve has no CUDA "
        "backend yet (a CuPy one is planned; installing cupy does not enable it yet), so "
        "device 'cuda' cannot be used; run on 'cpu'")


def check_device(dev) -> device:
    d = device(dev)
    if d.type == "cuda":
        raise no_cuda()
    if d.type != "cpu":
        raise RuntimeError(f"device '{d}' is not available: nerve runs on the CPU in this build")
    return d


def blas_summary() -> str:
    """The BLAS numpy was built with, and (with threadpoolctl) its kernel and threads."""
    try:
        from threadpoolctl import threadpool_info

        for i in threadpool_info():
            if i.get("user_api") == "blas":
                return (f"{i.get('internal_api')} {i.get('version')}, kernel "
                        f"{i.get('architecture')}, {i.get('num_threads')} threads")
    except ImportError:
        pass
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{cfg.get('name')} {cfg.get('version')} (threads: install threadpoolctl to see)"
    except Exception:  # noqa: BLE001 - show_config's layout varies across numpy versions
        return "unknown"
