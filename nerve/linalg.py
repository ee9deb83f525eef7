"""nerve.linalg: PyTorch's torch.linalg norms (vector_norm, matrix_norm, norm) and the
products already in nerve.

The vector norm is one op (nerve/ops/math/elementary.py, VectorNorm); the matrix norms that need
no decomposition are composites of it and of sum/amax. Norms that need the singular
values ('nuc', 2, -2) raise NotImplementedError.
"""

from __future__ import annotations

import math

import numpy as _np

from nerve.autograd.function import wrap as _wrap_result
from nerve.functional.products import multi_dot
from nerve.ops.linalg.decompositions import (
    LinAlgError,
    det,
    eigh,
    eigvalsh,
    inv,
    matrix_exp,
    matrix_power,
    pinv,
    qr,
    solve,
    svdvals,
)
from nerve.ops.linalg.decompositions import linalg_cholesky as cholesky
from nerve.ops.linalg.decompositions import linalg_slogdet as slogdet
from nerve.ops.linalg.decompositions import linalg_svd as svd
from nerve.ops.linalg.matmul import matmul
from nerve.ops.math.elementary import vector_norm
from nerve.ops.shape.dims import vander as _vander
from nerve.ops.shape.rearrange import stack as _stack
from nerve.tensor import ops_table
from nerve.tensor import wrap_dim as _dim

__all__ = ["matmul", "matrix_norm", "norm", "vector_norm", "tensor_norm"]

_SVD_ORDS = ("nuc", 2, -2)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: A002, N803
    """'fro' (√Σ x²), 1 / -1 (max / min column sum of |x|), inf / -inf (max / min row sum)
    over the two dims ``dim``."""
    if A.ndim < 2:
        raise RuntimeError(
            f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions, got {A.ndim}"
        )
    if dtype is not None:
        A = A.to(dtype)  # noqa: N806 - torch.linalg names the matrix A
    if ord in _SVD_ORDS:
        raise NotImplementedError(
            f"linalg.matrix_norm: ord={ord!r} needs singular values "
            "(SVD), which nerve does not provide"
        )
    if ord == "fro":
        return vector_norm(A, 2, dim, keepdim)
    if ord not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
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
    if (
        isinstance(dim, int)
        or (dim is None and A.ndim == 1)
        or (isinstance(dim, tuple) and len(dim) == 1)
    ):
        if isinstance(ord, str):
            raise RuntimeError(
                f"linalg.norm: ord={ord!r} is a matrix norm; it needs a 2-D input or two dims"
            )
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    if dim is None and A.ndim != 2:
        raise RuntimeError(
            f"linalg.norm: If dim is not specified but ord is, the input must "
            f"be 1D or 2D. Got {A.ndim}D."
        )
    return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)


def tensor_norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm / Tensor.norm: p='fro' or a number is the vector p-norm over ``dim``
    (all entries if None); 'fro' over two dims is the same sum; 'nuc' needs an SVD."""
    if out is not None:
        raise NotImplementedError("norm: out= is not supported; use the returned tensor")
    if p == "nuc":
        raise NotImplementedError(
            "norm: p='nuc' needs singular values (SVD), which nerve does not provide"
        )
    if isinstance(dim, int):
        dim = (dim,)
    if p == "fro":
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"norm: unsupported p={p!r}")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


# ----- decompositions, inverses and products (ops/linalg/decompositions.py, products.py) -----
__all__ += [
    "LinAlgError",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "matrix_exp",
    "matrix_power",
    "cholesky",
    "slogdet",
    "svd",
    "pinv",
    "qr",
    "solve",
    "svdvals",
    "multi_dot",
    "cross",
    "vecdot",
    "diagonal",
    "inv_ex",
    "cholesky_ex",
    "solve_ex",
    "matrix_rank",
    "cond",
    "vander",
]


def cross(input, other, *, dim=-1):  # noqa: A002 - PyTorch's argument names
    """a × b along ``dim`` (size 3), with broadcasting: (a₁b₂ - a₂b₁, a₂b₀ - a₀b₂, a₀b₁ - a₁b₀)."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _dim(dim, input.ndim, "linalg.cross")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got "
            f"{input.shape[d]} and {other.shape[d]}"
        )
    a = [input.select(d, i) for i in range(3)]
    b = [other.select(d, i) for i in range(3)]
    return _stack(
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], d
    )


def vecdot(x, y, *, dim=-1):
    return (x * y).sum(dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):  # noqa: N803
    return A.diagonal(offset, dim1, dim2)


def vander(x, *, N=None):  # noqa: N803
    """Columns 1, x, x², …, x^(N-1) (increasing powers, over the last dim)."""
    if x.ndim == 1:
        return _vander(x, N, increasing=True)
    flat = x.reshape(-1)
    out = _vander(flat, N or x.shape[-1], increasing=True)
    return out.reshape(tuple(x.shape) + (out.shape[-1],))


def _ex(fn, name):
    def ex(A, *args, check_errors=False, **kwargs):  # noqa: N803
        """(result, info): info is 0 (an error raises, as with check_errors=True)."""
        out = fn(A, *args, **kwargs)
        info = _wrap_result(_np.zeros(tuple(A.shape[:-2]), _np.int32))
        return (*out, info) if isinstance(out, tuple) else (out, info)

    ex.__name__ = name
    return ex


inv_ex = _ex(inv, "inv_ex")
cholesky_ex = _ex(cholesky, "cholesky_ex")
solve_ex = _ex(solve, "solve_ex")


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):  # noqa: N803
    """The number of singular values above max(atol, rtol · σ_max) (no gradient)."""
    s = _np.linalg.svd(A._data, compute_uv=False)
    m, n = A.shape[-2:]
    if rtol is None:
        rtol = _np.finfo(A.dtype).eps * max(m, n) if not atol else 0.0
    smax = s.max(-1, keepdims=True) if s.shape[-1] else s
    return _wrap_result((s > _np.maximum(atol or 0.0, rtol * smax)).sum(-1).astype(_np.int64))


def cond(A, p=None):  # noqa: N803
    """The condition number σ_max / σ_min (p=None or 2); other p: ‖A‖_p ‖A⁻¹‖_p."""
    if p in (None, 2, -2):
        s = svdvals(A)
        ratio = s[..., 0] / s[..., -1]
        return ratio if p != -2 else 1 / ratio
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(tensor_norm)
