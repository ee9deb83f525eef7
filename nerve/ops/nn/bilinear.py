"""The bilinear form of two inputs: one GEMM for the first contraction, a row-wise dot
for the second."""

from __future__ import annotations

from nerve.autograd.function import Function
from nerve.backend import array_module

__all__ = ["bilinear"]


class BilinearFn(Function):
    """y[n, o] = Σᵢⱼ x1[n, i] A[o, i, j] x2[n, j] + b[o]   (y = x1ᵀ Aₒ x2 + b per output).

    With u[n, o, j] = Σᵢ x1[n, i] A[o, i, j] (saved from forward), δ = ∂L/∂y and
    v[n, o, j] = δ[n, o] x2[n, j]:
    ∂L/∂x1[n, i] = Σₒⱼ v[n, o, j] A[o, i, j],  ∂L/∂x2[n, j] = Σₒ δ[n, o] u[n, o, j],
    ∂L/∂A[o, i, j] = Σₙ x1[n, i] v[n, o, j],   ∂L/∂b = Σₙ δ
    """

    def forward(self, x1, x2, w, b=None):
        o, i, j = w.shape
        lead = x1.shape[:-1]
        x1f, x2f = x1.reshape(-1, i), x2.reshape(-1, j)  # (*, I) -> (N, I), (*, J) -> (N, J)
        # A as (I, O*J): the contraction over i for every output at once
        u = (x1f @ w.transpose(1, 0, 2).reshape(i, o * j)).reshape(-1, o, j)
        y = array_module(u).einsum("noj,nj->no", u, x2f)
        if b is not None:
            y += b
        self.x1, self.x2, self.w, self.u = x1f, x2f, w, u
        return y.reshape(lead + (o,))

    def backward(self, dy):
        o, i, j = self.w.shape
        need_x1, need_x2, need_w, need_b = (*self.needs_input_grad, False)[:4]
        dyf = dy.reshape(-1, o)  # (*, O) -> (N, O)
        lead = dy.shape[:-1]
        dx1 = dx2 = dw = db = None
        if need_x1 or need_w:
            v = (dyf[:, :, None] * self.x2[:, None, :]).reshape(-1, o * j)  # (N, O*J)
            if need_x1:
                dx1 = (v @ self.w.transpose(0, 2, 1).reshape(o * j, i)).reshape(lead + (i,))
            if need_w:
                dw = (self.x1.T @ v).reshape(i, o, j).transpose(1, 0, 2)
        if need_x2:
            dx2 = array_module(dyf).einsum("no,noj->nj", dyf, self.u).reshape(lead + (j,))
        if need_b:
            db = dyf.sum(axis=0)
        return dx1, dx2, dw, db


def _dtype_name(dt) -> str:
    return {"float64": "double", "float32": "float", "float16": "half"}.get(dt.name, dt.name)


def bilinear(input1, input2, weight, bias=None):
    """y = input1ᵀ weight input2 + bias: input1 (*, in1), input2 (*, in2) with the same
    leading dimensions, weight (out, in1, in2), bias (out,); output (*, out)."""
    x1, x2, w = input1._data, input2._data, weight._data
    if w.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out, in1, in2), got shape {w.shape}")
    if x1.ndim != x2.ndim or x1.ndim == 0:
        raise RuntimeError(
            f"bilinear(): input1 and input2 must have the same number of "
            f"dimensions (at least 1), got shapes {x1.shape} and {x2.shape}"
        )
    for d, (a, c) in enumerate(zip(x1.shape[:-1], x2.shape[:-1])):
        if a != c:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {d}: got {a} and {c}"
            )
    for k, x in ((1, x1), (2, x2)):
        if x.shape[-1] != w.shape[k]:
            raise RuntimeError(
                f"bilinear(): input{k} size does not match weight size: got "
                f"{x.shape[-1]} but expected {w.shape[k]}"
            )
    named = [("input1", x1), ("input2", x2), ("weight", w)]
    named += [] if bias is None else [("bias", bias._data)]
    if len({a.dtype for _, a in named}) > 1:  # PyTorch refuses to promote here
        raise RuntimeError(
            "bilinear(): all tensors must have the same dtype, got "
            + ", ".join(f"{k}: {_dtype_name(a.dtype)}" for k, a in named)
        )
    if bias is not None and bias._data.shape != (w.shape[0],):
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got "
            f"{bias._data.shape[-1] if bias._data.ndim else 1} but expected "
            f"{w.shape[0]}"
        )
    return BilinearFn.apply(input1, input2, weight, bias)
