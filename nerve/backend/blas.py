"""NumPy's OpenBLAS thread count, read and set by a direct call into the library.

threadpoolctl's ``threadpool_limits`` context manager rescans every loaded library on
each use (about 0.4 ms here), too slow to wrap a GEMM; once the library is found, its
own ``openblas_set_num_threads`` costs about a microsecond through ctypes. The library
is found once, in the process's memory map (/proc/self/maps, Linux), else through
threadpoolctl's scan when it is installed. Without OpenBLAS (MKL, Accelerate, a
platform without /proc) ``available()`` is False and nothing is changed.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os

_PREFIXES = ("", "scipy_")  # numpy's wheels bundle scipy-openblas, symbols renamed
_SUFFIXES = ("", "64_", "_64")
_lib = {"found": False, "get": None, "set": None, "path": None, "max": None}


def _paths() -> list:
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            maps = f.read()
    except OSError:  # not Linux: threadpoolctl's scan, when it is installed
        try:
            from threadpoolctl import threadpool_info
        except ImportError:
            return []
        return [i["filepath"] for i in threadpool_info() if i.get("internal_api") == "openblas"]
    found = []
    for line in maps.splitlines():
        path = line.split()[-1] if line.split() else ""
        if "openblas" in os.path.basename(path).lower() and path not in found:
            found.append(path)
    return found


def _bind(path: str) -> bool:
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return False
    for pre, suf in itertools.product(_PREFIXES, _SUFFIXES):
        get = getattr(lib, f"{pre}openblas_get_num_threads{suf}", None)
        put = getattr(lib, f"{pre}openblas_set_num_threads{suf}", None)
        if get is not None and put is not None:
            get.restype, get.argtypes = ctypes.c_int, []
            put.restype, put.argtypes = None, [ctypes.c_int]
            _lib.update(get=get, set=put, path=path, max=int(get()))
            return True
    return False


def _find() -> None:
    if _lib["found"]:
        return
    import numpy  # noqa: F401 - its BLAS must be loaded to be found

    _lib["found"] = True
    for path in _paths():
        if _bind(path):
            return


def available() -> bool:
    _find()
    return _lib["set"] is not None


def max_threads() -> int:
    """The threads OpenBLAS started with (OPENBLAS_NUM_THREADS, else the cores)."""
    _find()
    return _lib["max"] or 1


def get() -> int:
    _find()
    return int(_lib["get"]()) if _lib["get"] else 1


def put(n: int) -> None:
    """Use ``n`` threads from the next BLAS call on (at most the started pool)."""
    _find()
    if _lib["set"] is not None:
        _lib["set"](max(1, min(int(n), _lib["max"])))


@contextlib.contextmanager
def one_thread():
    """BLAS on one thread inside the block (for work that runs beside other threads, each
    calling BLAS: two-thread GEMMs from two threads would fight over the same cores)."""
    before = get() if available() else 1
    if before > 1:
        put(1)
    try:
        yield
    finally:
        if before > 1:
            put(before)
