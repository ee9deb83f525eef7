"""Convolution layers: a bank of kernels slid over the input (weight sharing, local
receptive fields), stride, zero padding, dilation, groups and 1x1 convolutions."""

from __future__ import annotations

import numpy as np

from nerve import dtypes
from nerve import functional as F
from nerve.nn import init
from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.ops.nn.conv import conv_padding, dims_tuple
from nerve.ops.nn.conv_transpose import output_padding_for
from nerve.tensor import Tensor

_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


class _ConvNd(Module):
    """Shared by Conv1d, Conv2d and Conv3d: parameters, PyTorch's initialisation and padding modes.

    weight (out_channels, in_channels/groups, *kernel_size) is drawn by kaiming_uniform_
    with a = √5, i.e. U(-1/√fan_in, 1/√fan_in), fan_in = in_channels/groups · ∏kernel;
    bias (out_channels,) from the same U(-1/√fan_in, 1/√fan_in).
    """

    _dims = 2
    _name = "Conv2d"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        n, name = self._dims, self._name
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {sorted(_PADDING_MODES)}, but got "
                f"padding_mode='{padding_mode}'"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = dims_tuple(kernel_size, n, "kernel_size", name)
        self.stride = dims_tuple(stride, n, "stride", name)
        self.dilation = dims_tuple(dilation, n, "dilation", name)
        if isinstance(padding, str):
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            conv_padding(padding, self.kernel_size, self.stride, self.dilation, name)
            self.padding = padding
        else:
            self.padding = dims_tuple(padding, n, "padding", name)
        self.padding_mode = padding_mode
        # PyTorch's Conv layers carry these too (shared _ConvNd attributes)
        self.transposed, self.output_padding = False, (0,) * n
        self._make_parameters((out_channels, in_channels // groups) + self.kernel_size, bias, dtype)

    def _make_parameters(self, shape: tuple, bias: bool, dtype) -> None:
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        self.weight = Parameter(np.empty(shape, dt))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.layer_default_(self.weight, self.bias)

    def _check_input(self, input: Tensor) -> None:
        if input.ndim not in (self._dims + 1, self._dims + 2):
            raise RuntimeError(
                f"{self._short()}: expected {self._dims + 1}D (unbatched) or "
                f"{self._dims + 2}D (batched) input, but got input of size: "
                f"{list(input.shape)}"
            )
        c = input.shape[-self._dims - 1]
        if c != self.in_channels:
            raise RuntimeError(
                f"{self._short()}: expected input with {self.in_channels} "
                f"channels, but got {c} channels (input shape "
                f"{tuple(input.shape)})"
            )

    def _conv(self, input: Tensor, fn) -> Tensor:
        self._check_input(input)
        padding = self.padding
        if self.padding_mode != "zeros":
            pads = conv_padding(
                padding, self.kernel_size, self.stride, self.dilation, self._short()
            )
            # F.pad lists (left, right) from the last dim backwards
            flat = tuple(v for pair in reversed(pads) for v in pair)
            input = F.pad(input, flat, mode=self.padding_mode)  # noqa: A001
            padding = 0
        return fn(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)

    def _short(self) -> str:
        return (
            f"{self._name}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size})"
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        zero = (0,) * self._dims
        if self.padding != zero:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if getattr(self, "output_padding", zero) != zero:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution: y[n, o] = b[o] + Σ_c w[o, c] ⋆ x[n, c] (cross-correlation).

    Shape: input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, H_out, W_out) with
    H_out = ⌊(H + 2P - D(K - 1) - 1)/S⌋ + 1. padding: int, pair, 'valid' or 'same'.
    weight (C_out, C_in/groups, KH, KW), bias (C_out,): see ``_ConvNd`` for the init.
    """

    _dims, _name = 2, "Conv2d"

    def forward(self, input: Tensor) -> Tensor:
        return self._conv(input, F.conv2d)


class Conv3d(_ConvNd):
    """3-D (volumetric) convolution over (N, C_in, D, H, W) or (C_in, D, H, W); weight
    (C_out, C_in/groups, KD, KH, KW); D_out = ⌊(D + 2P - D(K - 1) - 1)/S⌋ + 1 and likewise
    for H and W. See ``Conv2d``."""

    _dims, _name = 3, "Conv3d"

    def forward(self, input: Tensor) -> Tensor:
        return self._conv(input, F.conv3d)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) or (C_in, L); weight (C_out, C_in/groups, K).
    L_out = ⌊(L + 2P - D(K - 1) - 1)/S⌋ + 1. See ``Conv2d``."""

    _dims, _name = 1, "Conv1d"

    def forward(self, input: Tensor) -> Tensor:
        return self._conv(input, F.conv1d)


class _ConvTransposeNd(_ConvNd):
    """Shared by ConvTranspose1d, 2d and 3d: weight (in_channels,
    out_channels/groups, *kernel_size), initialised as Conv's (kaiming_uniform_ with a = √5,
    so U(-1/√fan_in, 1/√fan_in) with fan_in = out_channels/groups · ∏kernel, the weight's
    dim 1 times the kernel), bias (out_channels,) from the same range. padding_mode 'zeros'
    only, as in PyTorch."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        Module.__init__(self)
        n, name = self._dims, self._name
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {name}, got '
                f"padding_mode='{padding_mode}'"
            )
        if isinstance(padding, str):
            raise ValueError(
                f"{name}: padding must be an int or a tuple of ints, got "
                f"'{padding}' (strings such as 'same' are for Conv layers only)"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = dims_tuple(kernel_size, n, "kernel_size", name)
        self.stride = dims_tuple(stride, n, "stride", name)
        self.padding = dims_tuple(padding, n, "padding", name)
        self.output_padding = dims_tuple(output_padding, n, "output_padding", name)
        self.transposed = True
        self.dilation = dims_tuple(dilation, n, "dilation", name)
        self.padding_mode = padding_mode
        self._make_parameters((in_channels, out_channels // groups) + self.kernel_size, bias, dtype)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        self._check_input(input)
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = output_padding_for(
                self._name,
                output_size,
                tuple(input.shape[-self._dims :]),
                self.kernel_size,
                self.stride,
                self.padding,
                self.dilation,
            )
        fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self._dims - 1]
        return fn(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (the adjoint of Conv2d; "deconvolution"): every input pixel
    adds a kernel-weighted patch to the output, S pixels apart.

    Shape: input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, H_out, W_out) with
    H_out = (H - 1)·S - 2P + D(K - 1) + output_padding + 1, or as given by
    ``forward(input, output_size)``. weight (C_in, C_out/groups, KH, KW), bias (C_out,).
    """

    _dims, _name = 2, "ConvTranspose2d"


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution over (N, C_in, L) or (C_in, L); weight
    (C_in, C_out/groups, K); L_out = (L - 1)·S - 2P + D(K - 1) + output_padding + 1."""

    _dims, _name = 1, "ConvTranspose1d"


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution over (N, C_in, D, H, W) or (C_in, D, H, W); weight
    (C_in, C_out/groups, KD, KH, KW); D_out = (D - 1)·S - 2P + D(K - 1) + output_padding + 1
    and likewise for H and W. See ``ConvTranspose2d``."""

    _dims, _name = 3, "ConvTranspose3d"
