"""Activation functions and softmax. Each is stable for large |x|."""

from __future__ import annotations

import numpy as np

from nerve.autograd.function import Function


class Tanh(Function):
    """y = tanh x;  ∂L/∂x = δ · (1 - y²)"""

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dy):
        return dy * (1 - self.y * self.y)


class Sigmoid(Function):
    """y = σ(x) = 1 / (1 + e⁻ˣ);  ∂L/∂x = δ · y (1 - y)

    Computed as ½(1 + tanh(x/2)), which never overflows for large |x|.
    """

    def forward(self, x):
        y = np.tanh(x * 0.5)
        y += 1
        y *= 0.5
        self.y = y
        return y

    def backward(self, dy):
        return dy * self.y * (1 - self.y)


class ReLU(Function):
    """y = max(0, x);  ∂L/∂x = δ · [x > 0]"""

    def forward(self, x):
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, dy):
        return dy * (self.y > 0)


class Softmax(Function):
    """yᵢ = e^(xᵢ - m) / Σⱼ e^(xⱼ - m)  with m = max x (for stability);
    ∂L/∂xᵢ = yᵢ (δᵢ - Σⱼ δⱼ yⱼ)"""

    def forward(self, x, dim=-1):
        self.dim = dim
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        e /= e.sum(axis=dim, keepdims=True)
        self.y = e
        return e

    def backward(self, dy):
        y = self.y
        return y * (dy - (dy * y).sum(axis=self.dim, keepdims=True))


class LogSoftmax(Function):
    """yᵢ = xᵢ - m - ln Σⱼ e^(xⱼ - m)  with m = max x;  ∂L/∂xᵢ = δᵢ - e^(yᵢ) Σⱼ δⱼ"""

    def forward(self, x, dim=-1):
        self.dim = dim
        shifted = x - x.max(axis=dim, keepdims=True)
        shifted -= np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        self.y = shifted
        return shifted

    def backward(self, dy):
        return dy - np.exp(self.y) * dy.sum(axis=self.dim, keepdims=True)


def tanh(input):  # noqa: A002 - PyTorch's argument names
    return Tanh.apply(input)


def sigmoid(input):  # noqa: A002
    return Sigmoid.apply(input)


def relu(input):  # noqa: A002
    return ReLU.apply(input)


def softmax(input, dim=None, dtype=None):  # noqa: A002
    return Softmax.apply(_cast(input, dtype), dim=_softmax_dim(input, dim, "softmax"))


def log_softmax(input, dim=None, dtype=None):  # noqa: A002
    return LogSoftmax.apply(_cast(input, dtype), dim=_softmax_dim(input, dim, "log_softmax"))


def _cast(x, dtype):
    return x if dtype is None else x.to(dtype)


def _softmax_dim(x, dim, op: str) -> int:
    from nerve.tensor import _dim

    if dim is None:  # PyTorch's legacy implicit choice
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return _dim(dim, x.ndim, op)
