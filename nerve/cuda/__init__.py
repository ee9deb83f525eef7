"""``torch.cuda`` as a CPU-only PyTorch has it: nerve has no CUDA backend yet.

What a CPU build of PyTorch answers, nerve answers: ``is_available()`` is False,
``device_count()`` is 0, the seeding functions are accepted and do nothing (PyTorch
documents that they are silently ignored without CUDA), the memory counters are 0, and
whatever needs a GPU (``set_device``, ``synchronize``, ``current_device``,
``get_device_name``, streams ...) raises the error PyTorch raises, an AssertionError
(``nerve.backend.CUDAUnavailableError``, also a RuntimeError).
"""

from __future__ import annotations

from nerve.backend import device as _device
from nerve.backend import no_cuda as _no_cuda
from nerve.cuda import amp

__all__ = ["Event", "Stream", "amp", "current_device", "current_stream", "device",
           "device_count", "empty_cache", "get_arch_list", "get_device_capability",
           "get_device_name", "get_device_properties", "get_rng_state", "get_rng_state_all",
           "init", "initial_seed", "ipc_collect", "is_available", "is_bf16_supported",
           "is_initialized", "manual_seed", "manual_seed_all", "max_memory_allocated",
           "max_memory_reserved", "mem_get_info", "memory_allocated", "memory_reserved",
           "reset_peak_memory_stats", "seed", "seed_all", "set_device", "set_rng_state",
           "set_rng_state_all", "synchronize"]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def get_arch_list() -> list:
    return []


# Seeding without CUDA is silently ignored, as PyTorch documents: programs call
# torch.cuda.manual_seed_all(seed) unconditionally next to torch.manual_seed(seed).
def manual_seed(seed: int) -> None:
    int(seed)  # a seed that is no number fails here, as in PyTorch


def manual_seed_all(seed: int) -> None:
    int(seed)


def seed() -> None:
    return None


def seed_all() -> None:
    return None


def set_rng_state(new_state, device="cuda") -> None:
    return None


def set_rng_state_all(new_states) -> None:
    return None


def get_rng_state_all() -> list:
    return []


# The memory counters of a CPU-only PyTorch: nothing allocated, nothing to free.
def empty_cache() -> None:
    return None


def memory_allocated(device=None) -> int:
    return 0


def max_memory_allocated(device=None) -> int:
    return 0


def memory_reserved(device=None) -> int:
    return 0


def max_memory_reserved(device=None) -> int:
    return 0


def _needs_cuda(name: str):
    def needs_cuda(*args, **kwargs):
        raise _no_cuda(f"nerve.cuda.{name}()")

    needs_cuda.__name__ = needs_cuda.__qualname__ = name
    needs_cuda.__doc__ = f"Raises: ``{name}`` needs a CUDA device, which nerve has not."
    return needs_cuda


current_device = _needs_cuda("current_device")
synchronize = _needs_cuda("synchronize")
get_device_name = _needs_cuda("get_device_name")
get_device_properties = _needs_cuda("get_device_properties")
get_device_capability = _needs_cuda("get_device_capability")
init = _needs_cuda("init")
initial_seed = _needs_cuda("initial_seed")
get_rng_state = _needs_cuda("get_rng_state")
current_stream = _needs_cuda("current_stream")
mem_get_info = _needs_cuda("mem_get_info")
ipc_collect = _needs_cuda("ipc_collect")
reset_peak_memory_stats = _needs_cuda("reset_peak_memory_stats")


def set_device(device) -> None:
    """Raises: there is no CUDA device to select (a non-CUDA device is a ValueError)."""
    if isinstance(device, str | _device) and _device(device).type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {_device(device)}")
    raise _no_cuda("nerve.cuda.set_device()")


class device:  # noqa: N801 - PyTorch's name
    """``with nerve.cuda.device(i):`` selects a GPU; a negative index does nothing, as in
    PyTorch, and any other raises RuntimeError, since nerve has no CUDA backend."""

    def __init__(self, device) -> None:
        self.idx = device if isinstance(device, int) else _device(device).index
        self.idx = -1 if self.idx is None else self.idx

    def __enter__(self) -> None:
        if self.idx >= 0:
            raise RuntimeError("nerve was compiled without CUDA support (no CUDA backend yet)")

    def __exit__(self, *exc) -> bool:
        return False


class Stream:
    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError("nerve.cuda.Stream requires CUDA support, which nerve has not yet")


class Event:
    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError("nerve.cuda.Event requires CUDA support, which nerve has not yet")
