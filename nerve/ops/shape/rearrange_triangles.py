"""Triangles and diagonals of matrices (the last two dims, or two chosen ones): tril,
triu, diagonal, diag, trace. Composites of Where, GetItem and IndexAdd, whose backward
moves δ back to the kept entries."""

from __future__ import annotations

from nerve.backend import array_module
from nerve.ops.math.elementwise import Where
from nerve.ops.shape.rearrange import _dim, permute, reshape
from nerve.ops.shape.scatter import IndexAdd
from nerve.tensor import ops_table

__all__ = ["diag", "diagonal", "trace", "tril", "triu"]


def _triangle(input, diagonal: int, lower: bool, op: str):
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")
    r, c = input.shape[-2:]
    xp = array_module(input._data)
    keep = xp.tri(r, c, diagonal, dtype=bool)
    if not lower:
        keep = ~xp.tri(r, c, diagonal - 1, dtype=bool)
    return Where.apply(keep, input, xp.zeros((), input.dtype))


def tril(input, diagonal=0):
    """The lower triangle (entries with col - row ≤ diagonal) of the last two dims."""
    return _triangle(input, diagonal, True, "tril")


def triu(input, diagonal=0):
    """The upper triangle (entries with col - row ≥ diagonal) of the last two dims."""
    return _triangle(input, diagonal, False, "triu")


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The entries x[i, i + offset] of dims (dim1, dim2), as a new last dimension."""
    n = input.ndim
    a, b = _dim(dim1, n, "diagonal"), _dim(dim2, n, "diagonal")
    if a == b:
        raise RuntimeError(f"diagonal: dimensions cannot be identical {dim1}, {dim2}")
    x = permute(input, [i for i in range(n) if i not in (a, b)] + [a, b])
    r, c = x.shape[-2:]
    k = max(0, min(r + min(offset, 0), c - max(offset, 0)))
    rows = array_module(x._data).arange(k) - min(offset, 0)
    return x[(Ellipsis, rows, rows + offset)]


def diag(input, diagonal=0):
    """1-D input: a square matrix with it on the ``diagonal``; 2-D: that diagonal."""
    if input.ndim == 2:
        return _diagonal(input, diagonal)
    if input.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    n = input.shape[0]
    m = n + abs(diagonal)
    xp = array_module(input._data)
    rows = xp.arange(n) - min(diagonal, 0)
    # (n,) added into the flattened (m*m,) zeros at the diagonal's places
    flat = IndexAdd.apply(
        xp.zeros(m * m, input.dtype), input, index=rows * m + rows + diagonal, dim=0
    )
    return reshape(flat, m, m)


_diagonal = diagonal  # diag's argument named diagonal hides the function


def trace(input):
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype.kind == "b":
        raise NotImplementedError("trace: not implemented for dtype bool")
    return _diagonal(input).sum()


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(diag, diagonal, trace, tril, triu)
