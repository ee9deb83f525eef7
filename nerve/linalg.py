"""nerve.linalg: PyTorch's torch.linalg norms (vector_norm, matrix_norm, norm) and the
products already in nerve.

The vector norm is one op (nerve/ops/mathfns.py, VectorNorm); the matrix norms that need
no decomposition are composites of it and of sum/amax. Norms that need the singular
values ('nuc', 2, -2) raise NotImplementedError.
"""

from __future__ import annotations

import math

from nerve.ops.linalg import matmul
from nerve.ops.mathfns import vector_norm

__all__ = ["matmul", "matrix_norm", "norm", "vector_norm", "tensor_norm"]

_SVD_ORDS = ("nuc", 2, -2)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: A002, N803
    """'fro' (√Σ x²), 1 / -1 (max / min column sum of |x|), inf / -inf (max / min row sum)
    over the two dims ``dim``."""
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 "
                           f"dimensions, got {A.ndim}")
    if dtype is not None:
        A = A.to(dtype)  # noqa: N806 - torch.linalg names the matrix A
    if ord in _SVD_ORDS:
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} needs singular values "
                                  "(SVD), which nerve does not provide")
    if ord == "fro":
        return vector_norm(A, 2, dim, keepdim)
    if ord not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    from nerve.tensor import _dim

    r, c = (_dim(d, A.ndim, "linalg.matrix_norm") for d in dim)
    if r == c:
        raise RuntimeError("linalg.matrix_norm: dims must be different")
    summed, picked = (r, c) if abs(ord) == 1 else (c, r)
    s = A.abs().sum(summed, keepdim=True)
    out = s.amax(picked, keepdim=True) if ord > 0 else s.amin(picked, keepdim=True)
    return out if keepdim else out.squeeze((r, c))


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002, N803
    """torch.linalg.norm: a vector norm for 1-D input or an int ``dim``, a matrix norm for
    2-D input or a pair of dims; ord=None is the 2-norm of the flattened input."""
    if dim is not None and not isinstance(dim, int):
        dim = tuple(dim)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if isinstance(dim, int) or (dim is None and A.ndim == 1) or \
            (isinstance(dim, tuple) and len(dim) == 1):
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.norm: ord={ord!r} is a matrix norm; it needs a "
                               "2-D input or two dims")
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    if dim is None and A.ndim != 2:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {A.ndim}D.")
    return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)


def tensor_norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):  # noqa: A002
    """torch.norm / Tensor.norm: p='fro' or a number is the vector p-norm over ``dim``
    (all entries if None); 'fro' over two dims is the same sum; 'nuc' needs an SVD."""
    if out is not None:
        raise NotImplementedError("norm: out= is not supported; use the returned tensor")
    if p == "nuc":
        raise NotImplementedError("norm: p='nuc' needs singular values (SVD), which nerve "
                                  "does not provide")
    if isinstance(dim, int):
        dim = (dim,)
    if p == "fro":
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"norm: unsupported p={p!r}")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)
