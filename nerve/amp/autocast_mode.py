"""``torch.autocast``: mixed precision regions, as PyTorch runs them without a GPU.

On "cpu", PyTorch runs matmuls and convolutions in ``dtype`` (bfloat16 by default)
inside the region. So does nerve with bfloat16 when ml_dtypes is installed: the matrix
products (matmul, linear, convolution) round their float32 (and float16) inputs to
bfloat16, multiply in float32 and return bfloat16, as PyTorch's CPU kernels do
(nerve/autograd/bf16_compute.py); their gradients come back in the inputs' dtype. Every
other op runs in its inputs' dtype. Without ml_dtypes, and for ``dtype=float16`` (NumPy
has no float16 BLAS), the region is entered and reported (``is_autocast_enabled("cpu")``
is True inside) but every op keeps its inputs' dtype, float32 as a rule; without
ml_dtypes a bfloat16 region warns that it runs in float32.

On "cuda" (CuPy, or the strict stand-in) the matrix products (matmul, linear,
convolution) take float16 copies of their floating inputs inside the region and return
float16, as PyTorch's autocast does; their gradients come back in the inputs' dtype.
Only float16 is offered there (CuPy has no bfloat16 arithmetic). Without CUDA, autocast
on "cuda" is disabled with PyTorch's warning. The switch is process-wide, not per thread.
"""

from __future__ import annotations

import functools
import threading
import warnings

__all__ = ["autocast", "is_autocast_available", "is_autocast_enabled"]

_DEVICE_TYPES = (
    "cpu",
    "cuda",
    "ipu",
    "xpu",
    "mkldnn",
    "opengl",
    "opencl",
    "ideep",
    "hip",
    "ve",
    "fpga",
    "maia",
    "xla",
    "lazy",
    "vulkan",
    "mps",
    "meta",
    "hpu",
    "mtia",
    "privateuseone",
)
_CPU_DTYPES = ("bfloat16", "float16")
_state = threading.local()  # device type -> depth of enabled autocast regions


def _depths() -> dict:
    if not hasattr(_state, "depths"):
        _state.depths = {}
    return _state.depths


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether an enabled autocast region for ``device_type`` is open in this thread."""
    return _depths().get(device_type, 0) > 0


def is_autocast_available(device_type: str) -> bool:
    return device_type in ("cpu", "cuda")


class autocast:  # noqa: N801 - PyTorch's name
    """``with autocast(device_type, dtype=None, enabled=True, cache_enabled=None):`` or
    ``@autocast(...)`` on a function. See the module docstring for what nerve does."""

    def __init__(
        self, device_type: str, dtype=None, enabled: bool = True, cache_enabled: bool | None = None
    ) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in _DEVICE_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_DEVICE_TYPES)} device type at "
                f"start of device string: {device_type}"
            )
        self.device = device_type
        self.fast_dtype = (
            ("bfloat16" if device_type == "cpu" else "float16") if dtype is None else dtype
        )
        self._cache_enabled = True if cache_enabled is None else bool(cache_enabled)
        self._enabled = bool(enabled)
        if self._enabled and device_type == "cuda" and not _cuda_available():
            warnings.warn(
                "CUDA is not available or torch_xla is imported. Disabling autocast.",
                UserWarning,
                stacklevel=2,
            )
            self._enabled = False
        elif self._enabled and device_type == "cuda":
            if str(self.fast_dtype).rpartition(".")[2] != "float16":
                warnings.warn(
                    "nerve's CUDA autocast runs in float16 only (CuPy has no "
                    "bfloat16 arithmetic). Disabling autocast.",
                    UserWarning,
                    stacklevel=2,
                )
                self._enabled = False
        elif self._enabled and device_type != "cpu":
            warnings.warn(
                f"nerve has no '{device_type}' backend. Disabling autocast.",
                UserWarning,
                stacklevel=2,
            )
            self._enabled = False
        elif self._enabled and str(self.fast_dtype).rpartition(".")[2] not in _CPU_DTYPES:
            warnings.warn(
                "In CPU autocast, but the target dtype is not supported. Disabling "
                "autocast.\nCPU Autocast only supports dtypes of torch.bfloat16, "
                "torch.float16 currently.",
                UserWarning,
                stacklevel=2,
            )
            self._enabled = False
        self._paused: list = []
        self._cpu_bf16 = (
            self._enabled
            and device_type == "cpu"
            and str(self.fast_dtype).rpartition(".")[2] == "bfloat16"
            and _bf16_loads()
        )

    def __enter__(self) -> autocast:
        if self._enabled:
            depths = _depths()
            depths[self.device] = depths.get(self.device, 0) + 1
            if self.device == "cuda":
                _cuda_switch(+1)
            elif self._cpu_bf16:
                _cpu_switch(+1)
        else:  # inside an enabled region, a disabled one switches it off until it ends
            self._paused.append(_pause(self.device))
        return self

    def __exit__(self, *exc) -> bool:
        if self._enabled:
            _depths()[self.device] -= 1
            if self.device == "cuda":
                _cuda_switch(-1)
            elif self._cpu_bf16:
                _cpu_switch(-1)
        else:
            _resume(self.device, self._paused.pop())
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def in_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return in_autocast


def _cuda_available() -> bool:
    from nerve.backend import cuda_available

    return cuda_available()


_cuda_depth = [0]


def _cuda_switch(step: int) -> None:
    """Open (+1) or close (-1) a CUDA autocast region: Function.apply runs the matrix
    products in float16 while any is open."""
    from nerve.autograd import function
    from nerve.ops.linalg.matmul import MatMul
    from nerve.ops.nn.conv import Conv
    from nerve.ops.nn.linear import LinearFn

    function.autocast_ops.update((MatMul, LinearFn, Conv))
    _cuda_depth[0] += step
    function.autocast_cuda[0] = _cuda_depth[0] > 0


_cpu_depth = [0]


def _bf16_loads() -> bool:
    """Whether ml_dtypes is there to run a CPU region in bfloat16 (a warning when not)."""
    from nerve.bf16_dtype import in_use

    try:
        in_use()
    except ImportError as err:
        warnings.warn(
            f"CPU autocast to bfloat16 runs in float32 here: {err}", UserWarning, stacklevel=3
        )
        return False
    return True


def _cpu_switch(step: int) -> None:
    """Open (+1) or close (-1) a CPU bfloat16 autocast region: Function.apply rounds the
    matrix products' float32 inputs to bfloat16 while any is open."""
    from nerve.autograd import bf16_compute, function
    from nerve.ops.linalg.matmul import MatMul
    from nerve.ops.nn.conv import Conv
    from nerve.ops.nn.linear import LinearFn

    function.autocast_ops.update((MatMul, LinearFn, Conv))
    _cpu_depth[0] += step
    bf16_compute.autocast_cpu[0] = _cpu_depth[0] > 0


def _casting_flag(device_type: str) -> list:
    from nerve.autograd import bf16_compute, function

    return function.autocast_cuda if device_type == "cuda" else bf16_compute.autocast_cpu


def _pause(device_type: str) -> tuple:
    depths = _depths()
    depth, flag = depths.get(device_type, 0), _casting_flag(device_type)
    was = flag[0]
    depths[device_type], flag[0] = 0, False
    return depth, was


def _resume(device_type: str, saved: tuple) -> None:
    _depths()[device_type], _casting_flag(device_type)[0] = saved
