"""More activation layers (the math lives in nerve/ops/activation_more): the shrinks,
threshold, GLU, CELU, hard sigmoid/swish, softsign, softmin and Softmax2d.

``inplace=True`` is passed to the functional op: the input is overwritten when no graph
needs it, and left alone (a new tensor returned) when it requires grad."""

from __future__ import annotations

from nerve import functional as F
from nerve.nn.module import Module
from nerve.tensor import Tensor

# ruff: noqa: A002 - PyTorch's argument names (input)


class Softsign(Module):
    """x / (1 + |x|)"""

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Tanhshrink(Module):
    """x - tanh x"""

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class Softshrink(Module):
    """x - λ if x > λ, x + λ if x < -λ, else 0  (λ = ``lambd`` ≥ 0)"""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    """x if |x| > λ else 0  (λ = ``lambd``)"""

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)


class Threshold(Module):
    """x if x > threshold else value"""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + (
            ", inplace=True" if self.inplace else "")


class GLU(Module):
    """Gated linear unit: a σ(b), with a and b the two halves of the input along ``dim``
    (whose size must be even; the output has half of it)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class CELU(Module):
    """x if x > 0 else α (e^(x/α) - 1): continuously differentiable at 0 for every α"""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Hardsigmoid(Module):
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, linear between.
    (PyTorch's repr does not show ``inplace``; neither does this one.)"""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input, self.inplace)


class Hardswish(Hardsigmoid):
    """x · relu6(x + 3) / 6"""

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input, self.inplace)


class Softmin(Module):
    """e^(-xᵢ) / Σⱼ e^(-xⱼ) along ``dim`` (dim=None: PyTorch's implicit choice, 0 for 0-,
    1- and 3-d inputs, else 1)"""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels at every pixel: dim -3 of a (C, H, W) or (N, C, H, W) input."""

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D "
                             "instead")
        return F.softmax(input, -3)
