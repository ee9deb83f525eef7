"""Matrix products."""

from __future__ import annotations

from nerve.autograd.engine import unbroadcast
from nerve.autograd.function import Function, autocast_covers
from nerve.backend import array_module
from nerve.backend.arrayfns import broadcast_shapes
from nerve.tensor import ops_table

__all__ = ["bmm", "dot", "matmul", "mm", "outer"]


class MatMul(Function):
    """Y = A B (1-D, 2-D, batched and broadcast, as numpy.matmul).

    With δ = ∂L/∂Y:  ∂L/∂A = δ Bᵀ,  ∂L/∂B = Aᵀ δ, summed over broadcast batch axes.
    A 1-D A is a row (1, k), a 1-D B a column (k, 1); the added axis is removed again.
    """

    def forward(self, a, b):
        if a.dtype != b.dtype:  # PyTorch does not promote in products (elementwise ops do)
            raise ValueError(
                f"expected m1 and m2 to have the same dtype, but got: "
                f"{c_name(a.dtype)} != {c_name(b.dtype)}"
            )
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                "both arguments to matmul need to be at least 1D, "
                f"but they are {a.ndim}D and {b.ndim}D"
            )
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(
                f"shapes {a.shape} and {b.shape} cannot be multiplied "
                f"({a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]})"
            )
        try:
            broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ValueError(
                f"batch dimensions {a.shape[:-2]} and {b.shape[:-2]} of shapes "
                f"{a.shape} and {b.shape} cannot be broadcast"
            ) from None
        self.a, self.b = a, b
        return a @ b

    def backward(self, dy):
        a, b = self.a, self.b
        if a.ndim == 2 and b.ndim == 2:  # the common case, without reshapes
            da = dy @ b.T if self.needs_input_grad[0] else None
            db = a.T @ dy if self.needs_input_grad[1] else None
            return da, db
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        # (…, n) or (…, m) -> (…, n, m) with the axes that 1-D operands removed
        xp = array_module(dy)
        dy2 = dy
        if a.ndim == 1:
            dy2 = xp.expand_dims(dy2, -2 if b.ndim > 1 else -1)
        if b.ndim == 1:
            dy2 = xp.expand_dims(dy2, -1)
        da = db = None
        if self.needs_input_grad[0]:
            da = unbroadcast(dy2 @ xp.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            db = unbroadcast(xp.swapaxes(a2, -1, -2) @ dy2, b2.shape).reshape(b.shape)
        return da, db

    def backward_graph(self, dy):
        """The same products as nerve ops; the engine sums broadcast batch axes."""
        a, b = self.parents
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(1) if b.ndim == 1 else b
        dy2 = dy
        if a.ndim == 1:
            dy2 = dy2.unsqueeze(-2 if b.ndim > 1 else -1)
        if b.ndim == 1:
            dy2 = dy2.unsqueeze(-1)
        da = db = None
        if self.needs_input_grad[0]:
            da = dy2 @ b2.transpose(-1, -2)
            da = da.squeeze(-2) if a.ndim == 1 else da
        if self.needs_input_grad[1]:
            db = a2.transpose(-1, -2) @ dy2
            db = db.squeeze(-1) if b.ndim == 1 else db
        return da, db


_C_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def c_name(dtype) -> str:
    """PyTorch's name of a dtype in its mixed-dtype messages (double, long int ...)."""
    return _C_NAMES.get(str(dtype), str(dtype))


def same_product_dtype(op: str, a, b) -> None:
    """PyTorch's RuntimeError for a product of two dtypes (unless autocast covers it)."""
    if a.dtype != b.dtype and not autocast_covers(MatMul, a._data):
        raise RuntimeError(
            f"{op}: expected m1 and m2 to have the same dtype, but got: "
            f"{c_name(a.dtype)} != {c_name(b.dtype)}"
        )


def matmul(input, other):  # noqa: A002 - PyTorch's argument names
    return MatMul.apply(input, other)


def mm(input, mat2):
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got {input.ndim}-D and {mat2.ndim}-D")
    same_product_dtype("mm", input, mat2)
    return MatMul.apply(input, mat2)


def bmm(input, mat2):
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"bmm: expected 3-D tensors, got {input.ndim}-D and {mat2.ndim}-D")
    same_product_dtype("bmm", input, mat2)
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {input.shape[0]} and {mat2.shape[0]}")
    return MatMul.apply(input, mat2)


def dot(input, other):
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"dot: expected 1-D tensors, got {input.ndim}-D and {other.ndim}-D")
    same_product_dtype("dot", input, other)
    return MatMul.apply(input, other)


def outer(input, vec2):
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(MatMul, bmm, dot, matmul, mm, outer)
