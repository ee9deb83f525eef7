"""Padding layers: constant (zero), reflection, replication and circular borders around
the last one, two or three dims, each a thin wrapper over F.pad."""

from __future__ import annotations

from nerve import functional as F
from nerve.nn.module import Module
from nerve.tensor import Tensor

# ruff: noqa: A002 - PyTorch's argument names (input)


def _widths(padding, n: int) -> tuple:
    """An int -> the same width on all 2n sides; a sequence is taken as given (as PyTorch
    does: F.pad checks it when called)."""
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    return tuple(int(p) for p in padding)


class _PadNd(Module):
    _n: int = 1
    _mode: str = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _widths(padding, self._n)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``: (left, right), or an int for both."""


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``: (left, right, top, bottom), or an int."""

    _n = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``: (left, right, top, bottom, front, back), or
    an int."""

    _n = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros: (left, right), or an int for both."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros: (left, right, top, bottom), or an int."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros: (left, right, top, bottom, front, back), or an
    int."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Mirror (N, C, W) or (C, W) at its edges without repeating the edge value:
    [1 2 3 4] padded (2, 1) is [3 2 1 2 3 4 3]; each width must be < W."""

    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Mirror the last two dims of (N, C, H, W) or (C, H, W); widths < the padded size."""

    _n, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Mirror the last three dims of (N, C, D, H, W) or (C, D, H, W); widths < the padded
    size."""

    _n, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of (N, C, W) or (C, W): [1 2 3] padded (2, 1) is
    [1 1 1 2 3 3]."""

    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Repeat the edge rows and columns of (N, C, H, W) or (C, H, W)."""

    _n, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Repeat the edge planes of (N, C, D, H, W) or (C, D, H, W)."""

    _n, _mode = 3, "replicate"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        dims = (self._n + 1, self._n + 2)
        if input.ndim not in dims:
            raise ValueError(
                f"{type(self).__name__}: expected {dims[0]}D or {dims[1]}D input "
                f"(got {input.ndim}D input of shape {tuple(input.shape)})"
            )
        return F.pad(input, self.padding, self._mode)


class CircularPad1d(_CircularPadNd):
    """Wrap (N, C, W) or (C, W) around: [1 2 3 4] padded (2, 1) is [3 4 1 2 3 4 1];
    each width must be ≤ W."""


class CircularPad2d(_CircularPadNd):
    """Wrap the last two dims of (N, C, H, W) or (C, H, W) around (a torus)."""

    _n = 2


class CircularPad3d(_CircularPadNd):
    """Wrap the last three dims of (N, C, D, H, W) or (C, D, H, W) around."""

    _n = 3
