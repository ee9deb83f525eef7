"""Bilinear: a learned bilinear form of two inputs, one per output feature."""

from __future__ import annotations

import math

import numpy as np

from nerve import dtypes
from nerve.nn import init
from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.ops.nn.bilinear import bilinear
from nerve.tensor import Tensor


class Bilinear(Module):
    """y = x1ᵀ A x2 + b, i.e. y[o] = Σᵢⱼ x1[i] A[o, i, j] x2[j] + b[o].

    Shape: input1 (*, in1_features), input2 (*, in2_features) with the same leading
    dimensions; output (*, out_features).
    weight (out_features, in1_features, in2_features) and bias (out_features,) are drawn
    from U(-1/√in1_features, 1/√in1_features).
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        self.weight = Parameter(np.empty((out_features, in1_features, in2_features), dt))
        if bias:
            self.bias = Parameter(np.empty(out_features, dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
