"""``torch.cuda``: the CUDA device, through CuPy (or the strict CPU stand-in on CI).

Without CuPy (and without ``NERVE_TEST_DEVICE=strict``) nerve answers what a CPU-only
PyTorch answers: ``is_available()`` is False, ``device_count()`` is 0, seeding is accepted
and does nothing (PyTorch documents that it is silently ignored without CUDA), the
memory counters are 0, and whatever needs a GPU (``set_device``, ``synchronize``,
``current_device`` ...) raises PyTorch's AssertionError
(``nerve.backend.CUDAUnavailableError``, also a RuntimeError) saying how to install CuPy.

With a device, nerve's random draws for device tensors are taken from the one global
generator (``nerve.manual_seed``) on the host and copied over, so ``manual_seed(_all)``
here has nothing separate to seed and stays a no-op: a CUDA run draws what a CPU run
draws. Streams and events are not modelled: every CuPy call runs on the current stream.
"""

from __future__ import annotations

from nerve.backend import device as _device
from nerve.backend import no_cuda as _no_cuda
from nerve.backend.device import cuda_available as _available
from nerve.backend.device import cuda_device_count as _count
from nerve.backend.device import current_index as _current_index
from nerve.backend.device import set_current_index as _set_current_index
from nerve.backend.device import strict_enabled as _strict
from nerve.cuda import amp

__all__ = [
    "Event",
    "Stream",
    "amp",
    "current_device",
    "current_stream",
    "device",
    "device_count",
    "empty_cache",
    "get_arch_list",
    "get_device_capability",
    "get_device_name",
    "get_device_properties",
    "get_rng_state",
    "get_rng_state_all",
    "init",
    "initial_seed",
    "ipc_collect",
    "is_available",
    "is_bf16_supported",
    "is_initialized",
    "manual_seed",
    "manual_seed_all",
    "max_memory_allocated",
    "max_memory_reserved",
    "mem_get_info",
    "memory_allocated",
    "memory_reserved",
    "reset_peak_memory_stats",
    "seed",
    "seed_all",
    "set_device",
    "set_rng_state",
    "set_rng_state_all",
    "synchronize",
]


def is_available() -> bool:
    """True when CuPy sees a GPU (or the strict stand-in is on)."""
    return _available()


def device_count() -> int:
    return _count() if _available() else 0


def is_initialized() -> bool:
    return _available()


def _cupy():
    from nerve.backend import cupy_backend

    return cupy_backend.load()[0]


def _require(name: str):
    """CuPy (None on the strict device); raises PyTorch's error when there is no CUDA."""
    if not _available():
        from nerve.backend import cupy_backend

        raise _no_cuda(f"nerve.cuda.{name}()", cupy_backend.load()[1])
    return None if _strict() else _cupy()


def _index(device, name: str) -> int:
    """A device argument (None: the current one) as an index that exists."""
    if device is None:
        i = _current_index()
    elif isinstance(device, int):
        i = device
    else:
        d = _device(device)
        if d.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {d}")
        i = _current_index() if d.index is None else d.index
    n = device_count()
    if not 0 <= i < n:
        raise RuntimeError(
            f"CUDA error: invalid device ordinal (nerve.cuda.{name}: device "
            f"{i} asked for; {n} CUDA device(s) visible)"
        )
    return i


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False, whatever the GPU: nerve's CUDA device is CuPy, which has no bfloat16 dtype,
    so no nerve CUDA tensor can be ``nerve.bfloat16`` (moving one there raises). PyTorch
    says True on Ampere or newer; programs that ask (nanoGPT) then choose float16, which
    nerve's CUDA autocast runs. ``nerve.bfloat16`` works on the CPU (with ml_dtypes)."""
    return False


def get_arch_list() -> list:
    return []


# Seeding is accepted and does nothing: see the module docstring.
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


def empty_cache() -> None:
    cp = _cupy() if _available() and not _strict() else None
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None) -> int:
    """Bytes held by live arrays in CuPy's memory pool (0 without CUDA)."""
    cp = _cupy() if _available() and not _strict() else None
    return 0 if cp is None else int(cp.get_default_memory_pool().used_bytes())


def memory_reserved(device=None) -> int:
    cp = _cupy() if _available() and not _strict() else None
    return 0 if cp is None else int(cp.get_default_memory_pool().total_bytes())


max_memory_allocated = memory_allocated  # CuPy's pool keeps no peak; the current is a bound
max_memory_reserved = memory_reserved


def current_device() -> int:
    _require("current_device")
    return _current_index()


def set_device(device) -> None:
    """Select the current CUDA device (an index or "cuda:i")."""
    if isinstance(device, str | _device) and _device(device).type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {_device(device)}")
    cp = _require("set_device")
    i = _index(device, "set_device")
    _set_current_index(i)
    if cp is not None:
        cp.cuda.Device(i).use()


def synchronize(device=None) -> None:
    """Wait for every kernel queued on the device (a no-op on the strict device)."""
    cp = _require("synchronize")
    i = _index(device, "synchronize")
    if cp is not None:
        cp.cuda.Device(i).synchronize()


def get_device_name(device=None) -> str:
    cp = _require("get_device_name")
    i = _index(device, "get_device_name")
    if cp is None:
        return "nerve strict device (CPU stand-in for CUDA)"
    name = cp.cuda.runtime.getDeviceProperties(i)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def get_device_properties(device=None) -> dict:
    cp = _require("get_device_properties")
    i = _index(device, "get_device_properties")
    if cp is None:
        return {"name": get_device_name(i), "major": 0, "minor": 0, "total_memory": 0}
    return dict(cp.cuda.runtime.getDeviceProperties(i))


def get_device_capability(device=None) -> tuple:
    cp = _require("get_device_capability")
    i = _index(device, "get_device_capability")
    if cp is None:
        return (0, 0)
    cc = cp.cuda.Device(i).compute_capability  # "80" for 8.0
    return (int(cc[:-1]), int(cc[-1]))


def mem_get_info(device=None) -> tuple:
    cp = _require("mem_get_info")
    if cp is None:
        return (0, 0)
    with cp.cuda.Device(_index(device, "mem_get_info")):
        return tuple(cp.cuda.runtime.memGetInfo())


def init() -> None:
    _require("init")


def initial_seed() -> int:
    _require("initial_seed")
    from nerve import random as _random

    return _random.initial_seed()


def get_rng_state(device="cuda"):
    _require("get_rng_state")
    from nerve import random as _random

    return _random.get_rng_state() if hasattr(_random, "get_rng_state") else None


def _needs_cuda(name: str):
    def needs_cuda(*args, **kwargs):
        _require(name)

    needs_cuda.__name__ = needs_cuda.__qualname__ = name
    needs_cuda.__doc__ = f"Raises without CUDA; with it, ``{name}`` has nothing to do."
    return needs_cuda


current_stream = _needs_cuda("current_stream")
ipc_collect = _needs_cuda("ipc_collect")
reset_peak_memory_stats = _needs_cuda("reset_peak_memory_stats")


class device:  # noqa: N801 - PyTorch's name
    """``with nerve.cuda.device(i):`` makes GPU i the current device inside; a negative
    index does nothing, as in PyTorch."""

    def __init__(self, device) -> None:
        self.idx = device if isinstance(device, int) else _device(device).index
        self.idx = -1 if self.idx is None else self.idx
        self._prev = None

    def __enter__(self) -> None:
        if self.idx >= 0:
            if not _available():
                raise _no_cuda("nerve.cuda.device()")
            self._prev = _current_index()
            set_device(self.idx)

    def __exit__(self, *exc) -> bool:
        if self._prev is not None:
            set_device(self._prev)
        return False


class Stream:
    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError(
            "nerve.cuda.Stream is not modelled: nerve runs every CuPy call on the current stream"
        )


class Event:
    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError(
            "nerve.cuda.Event is not modelled: time device work with "
            "nerve.cuda.synchronize() and time.perf_counter()"
        )
