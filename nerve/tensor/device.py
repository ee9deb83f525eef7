"""Tensor's device methods (a mixin of Tensor): where its array lives and moving it.

``to(device)`` / ``cuda()`` / ``cpu()`` copy the array to the other device through the
seam (nerve/backend) and are differentiable, as in PyTorch: the gradient flows back to
the source device. ``numpy()`` and ``np.asarray(t)`` of a device tensor raise
PyTorch's TypeError; ``item``, ``tolist`` and printing copy to the host explicitly.
"""

from __future__ import annotations

import numpy as np

from nerve.backend import (
    CPU,
    check_device,
    device_of,
    is_device_array,
    to_device,
    to_host,
)
from nerve.backend import device as Device
from nerve.tensor.ops_table import ops


def host_refusal(dev) -> TypeError:
    return TypeError(
        f"can't convert {dev} device type tensor to numpy. Use Tensor.cpu() to "
        "copy the tensor to host memory first."
    )


class DeviceMethods:
    """The device half of Tensor's methods; every one reads ``self._data``."""

    __slots__ = ()

    @property
    def device(self) -> Device:
        a = self._data
        return CPU if type(a) is np.ndarray else device_of(a)

    @property
    def is_cuda(self) -> bool:
        a = self._data
        return type(a) is not np.ndarray and device_of(a).type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return not self.is_cuda

    def get_device(self) -> int:
        """The CUDA index, or -1 for a CPU tensor (PyTorch's answer)."""
        return self.device.index if self.is_cuda else -1

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The array itself on CPU (no copy); a device tensor raises PyTorch's TypeError
        unless ``force`` (then a host copy)."""
        if self.requires_grad and not force and ops.is_grad_enabled():
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        a = self._data
        if type(a) is not np.ndarray and is_device_array(a):
            if not force:
                raise host_refusal(self.device)
            return to_host(a)
        return a

    def __array__(self, dtype=None, copy=None):
        a = self._data
        if type(a) is not np.ndarray and is_device_array(a):
            raise host_refusal(self.device)
        return a if dtype is None else a.astype(dtype)

    def _host(self) -> np.ndarray:
        """The values on the host: the array itself on CPU, else an explicit copy."""
        return to_host(self._data)

    def _to_device(self, device, copy: bool = False):
        d = check_device(device, "Tensor.to()")
        if self.device == d:
            return self.clone() if copy else self
        return ops.ToDevice.apply(self, device=d)

    def cpu(self, memory_format=None):
        """This tensor when on the CPU, else a copy there."""
        return self if type(self._data) is np.ndarray else self._to_device(CPU)

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None):
        """A copy on the CUDA device (``device``: an index or "cuda:i"; the current one
        by default), or this tensor when it is already there."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = Device("cuda", device)
        d = Device(device)
        if d.type != "cuda":
            raise RuntimeError(f"Invalid device, must be cuda device, got {d}")
        return self._to_device(d)

    def __dlpack__(self, *args, **kwargs):
        """Zero-copy export (NumPy's or CuPy's DLPack capsule of the array)."""
        if self.requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()


__all__ = ["DeviceMethods", "host_refusal", "to_device"]
