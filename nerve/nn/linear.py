"""Fully connected layers: the bias unit and forward propagation of a feed-forward net."""

from __future__ import annotations

import numpy as np

from nerve import dtypes
from nerve import functional as F
from nerve.nn import init
from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.tensor import Tensor


class Identity(Module):
    """Returns its input unchanged; takes (and ignores) any arguments."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument names
        return input


class Linear(Module):
    """y = x Wᵀ + b.

    Shape: input (*, in_features), output (*, out_features).
    weight (out_features, in_features) and bias (out_features,) are drawn from
    U(-1/√in_features, 1/√in_features) (kaiming_uniform_ with a = √5 for the weight).
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        self.weight = Parameter(np.empty((out_features, in_features), dt))
        if bias:
            self.bias = Parameter(np.empty(out_features, dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.layer_default_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        shape = input._data.shape
        if not shape or shape[-1] != self.in_features:
            raise RuntimeError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}): "
                f"expected input with last dimension {self.in_features}, got shape "
                f"{shape}"
            )
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
