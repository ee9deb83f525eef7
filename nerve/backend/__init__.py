"""The device seam: which array module holds an array, and the few places NumPy and
CuPy differ. Ops take their namespace from their inputs, never from a module-level numpy.

API (ops use these):

- ``array_module(*xs)`` -> numpy, cupy or the strict namespace, from arrays or Tensors
  (one type -> module dict lookup); ``device_of(a)``; ``is_device_array(a)``
- ``to_device(a, device)``, ``to_host(a)`` (explicit copies); ``same_module(x, like)``
  (a host constant onto ``like``'s device); ``as_array(x)`` (scalars -> arrays, device
  arrays kept)
- ``windows``: ``as_strided``, ``sliding_window_view``, ``ascontiguousarray``
- ``draws``: ``uniform``, ``normal``, ``bernoulli_mask`` (host generator, moved to the
  device of ``like``)
- ``arrayfns``: ``errstate``, ``accumulate`` (running max/min/logaddexp), ``ufunc_at``,
  ``scatter_add`` (np.add.at / cupyx.scatter_add)
- devices: ``device``, ``CPU``, ``check_device``, ``CUDAUnavailableError``, ``no_cuda``,
  ``cuda_namespace``, ``strict_enabled``, ``use_strict_device`` (the strict stand-in,
  nerve/backend/strict.py; also ``NERVE_TEST_DEVICE=strict``)
"""

from __future__ import annotations

import numpy as np

from nerve.backend.device import (  # noqa: F401 - the public names of the seam
    CPU,
    INSTALL,
    CUDAUnavailableError,
    check_device,
    cuda_available,
    cuda_device_count,
    cuda_namespace,
    device,
    no_cuda,
    strict_enabled,
    use_strict_device,
)
from nerve.backend.namespaces import MODULES as MODULES_OF  # noqa: F401
from nerve.backend.namespaces import (  # noqa: F401
    array_module,
    as_array,
    device_of,
    is_device_array,
    same_module,
    to_device,
    to_host,
)
from nerve.backend.windows import as_strided, ascontiguousarray, sliding_window_view  # noqa: F401, E501


def blas_summary() -> str:
    """The BLAS numpy was built with, and (with threadpoolctl) its kernel and threads."""
    try:
        from threadpoolctl import threadpool_info

        for i in threadpool_info():
            if i.get("user_api") == "blas":
                return (
                    f"{i.get('internal_api')} {i.get('version')}, kernel "
                    f"{i.get('architecture')}, {i.get('num_threads')} threads"
                )
    except ImportError:
        pass
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{cfg.get('name')} {cfg.get('version')} (threads: install threadpoolctl to see)"
    except Exception:  # noqa: BLE001 - show_config's layout varies across numpy versions
        return "unknown"
