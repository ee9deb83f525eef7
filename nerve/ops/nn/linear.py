"""The fully connected layer's op: one GEMM forward, two GEMMs and a sum backward."""

from __future__ import annotations

from nerve.autograd.function import Function, autocast_covers
from nerve.ops.linalg.matmul import c_name

__all__ = ["linear"]


class LinearFn(Function):
    """Linear (delta rule): y = x Wᵀ + b  (the bias unit), for x of shape (*, in).

    With δ = ∂L/∂y flattened to (n, out) and x to (n, in):
    ∂L/∂W = δᵀ x,  ∂L/∂b = Σₙ δ,  ∂L/∂x = δ W
    """

    def forward(self, x, w, b=None):
        self.x, self.w = x, w
        # (*, in) -> (n, in): one GEMM for any number of leading dims
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        y = x2 @ w.T
        if b is not None:
            y += b
        return y.reshape(x.shape[:-1] + (w.shape[0],)) if x.ndim != 2 else y

    def backward(self, dy):
        x, w = self.x, self.w
        need_x, need_w, need_b = (*self.needs_input_grad, False)[:3]
        # (*, out) -> (n, out)
        dy2 = dy.reshape(-1, dy.shape[-1]) if dy.ndim != 2 else dy
        dx = (dy2 @ w).reshape(x.shape) if need_x else None
        dw = dy2.T @ x.reshape(-1, x.shape[-1]) if need_w else None
        db = dy2.sum(axis=0) if need_b else None
        return dx, dw, db

    def backward_graph(self, dy):
        x, w = self.parents[:2]
        need_x, need_w, need_b = (*self.needs_input_grad, False)[:3]
        dy2 = dy.reshape(-1, dy.shape[-1]) if dy.ndim != 2 else dy
        dx = (dy2 @ w).reshape(x.shape) if need_x else None
        dw = dy2.transpose(0, 1) @ x.reshape(-1, x.shape[-1]) if need_w else None
        db = dy2.sum(dim=0) if need_b else None
        return dx, dw, db


def linear(input, weight, bias=None):  # noqa: A002 - PyTorch's argument names
    """y = input weightᵀ + bias, input (*, in), weight (out, in), bias (out,)."""
    # The checks read the raw arrays' shapes: Tensor.shape builds a Size on every access.
    try:
        x, w = input._data, weight._data
    except AttributeError:  # a number: PyTorch's argument parser raises TypeError
        raise TypeError(
            f"linear(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}"
        ) from None
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise RuntimeError(
            f"linear: mat1 and mat2 shapes cannot be multiplied (input shape "
            f"{x.shape}, weight shape {w.shape}; expected input with "
            f"last dimension {w.shape[-1] if w.ndim else '?'})"
        )
    cast = autocast_covers(LinearFn, x)  # an autocast region casts all three first
    if x.dtype != w.dtype and not cast:  # PyTorch does not promote here
        raise RuntimeError(
            f"linear: expected m1 and m2 to have the same dtype, but got: "
            f"{c_name(x.dtype)} != {c_name(w.dtype)} (input and weight)"
        )
    if bias is not None and bias._data.dtype != w.dtype and not cast:
        raise RuntimeError(
            f"linear: expected bias to have the weight's dtype, but got: "
            f"{c_name(bias._data.dtype)} != {c_name(w.dtype)}"
        )
    if bias is not None and bias._data.shape not in ((w.shape[0],), ()):
        raise RuntimeError(
            f"linear: bias of shape {bias._data.shape} does not match {w.shape[0]} output features"
        )
    return LinearFn.apply(input, weight, bias)
