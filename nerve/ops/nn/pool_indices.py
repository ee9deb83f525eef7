"""The ``*_with_indices`` spellings of the max pools: the same ops with return_indices=True,
giving (values, flat indices h·W + w into each (N, C) plane)."""

from __future__ import annotations

from nerve.ops.nn.pool import adaptive_max_pool1d, adaptive_max_pool2d, max_pool1d, max_pool2d

__all__ = [
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "max_pool1d_with_indices", "max_pool2d_with_indices",
]  # fmt: skip


def max_pool2d_with_indices(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=True,
):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d_with_indices(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=True,
):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)
