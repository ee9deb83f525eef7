"""Strided views and memory layout, the same call on NumPy, CuPy and the strict device.

NumPy keeps these under ``numpy.lib.stride_tricks``; CuPy under
``cupy.lib.stride_tricks``; strides are in bytes on both.
"""

from __future__ import annotations

from nerve.backend.namespaces import array_module


def as_strided(x, shape: tuple, strides: tuple, writeable: bool = False):
    """A view of ``x`` with the given shape and byte strides (no copy): the im2col and
    pooling windows. Read-only on NumPy unless ``writeable`` (CuPy views are always
    writeable), since overlapping windows alias one element many times."""
    xp = array_module(x)
    st = xp.lib.stride_tricks
    if xp.__name__ == "numpy":
        return st.as_strided(x, shape=shape, strides=strides, writeable=writeable)
    return st.as_strided(x, shape=shape, strides=strides)


def sliding_window_view(x, window_shape, axis=None):
    """``x``'s sliding windows of ``window_shape`` along ``axis`` as new trailing axes,
    a read-only view (numpy/cupy ``lib.stride_tricks.sliding_window_view``)."""
    return array_module(x).lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)


def ascontiguousarray(x):
    """``x`` in C order: itself when it already is, else a C-ordered copy on its device."""
    if x.flags.c_contiguous:
        return x
    return array_module(x).ascontiguousarray(x)
