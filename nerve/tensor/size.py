"""``Size`` (a shape that prints as PyTorch's) and the dimension check every op uses."""

from __future__ import annotations

import builtins


class Size(tuple):
    """A shape: a tuple that prints as PyTorch's ``Size([...])``."""

    __module__ = "nerve.tensor"

    def __repr__(self) -> str:
        return f"nerve.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


def wrap_dim(dim: int, ndim: int, op: str) -> int:
    """``dim`` as an index in [0, ndim) (negative counts from the end); PyTorch's
    IndexError naming ``op`` when it is out of range. A 0-d tensor takes 0 and -1."""
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return dim % n


_dim = wrap_dim  # the short name this package uses
