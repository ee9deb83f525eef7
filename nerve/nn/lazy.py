"""Lazy layers: the input size (in_features, in_channels, num_features) is read from the
first input. Until then the parameters are ``UninitializedParameter`` placeholders; the
first forward gives them their shapes, draws PyTorch's initialisation, and turns the layer
into its ordinary class (LazyLinear becomes Linear)."""

from __future__ import annotations

from nerve import dtypes
from nerve.backend import array_module, to_device, to_host
from nerve.nn.conv import Conv1d, Conv2d
from nerve.nn.linear import Linear
from nerve.nn.module import Module
from nerve.nn.normalization import BatchNorm1d, BatchNorm2d
from nerve.nn.parameter import Parameter
from nerve.tensor import Tensor

# ruff: noqa: A002 - PyTorch's argument names (input)


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet; ``materialize(shape)`` makes it a Parameter."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        # as a Tensor: Parameter takes a raw array through np.asarray (host only)
        super().__init__(Tensor._wrap(_placeholder(device, dtype)), requires_grad)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Allocate ``shape`` on ``device`` (default: where the placeholder is, so a lazy
        layer moved with ``.to(device)`` materialises there)."""
        dt = dtypes.to_dtype(dtype) or self._data.dtype
        data = array_module(self._data).empty(tuple(shape), dt)
        self._data = data if device is None else to_device(data, device)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. "
            "This error usually happens in `load_state_dict` when trying to "
            "load an uninitialized parameter into an initialized one. Call "
            "`forward` to initialize the parameters before accessing their "
            "attributes."
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class UninitializedBuffer(Tensor):
    """A buffer whose shape is not known yet; ``materialize(shape)`` makes it a Tensor."""

    __slots__ = ()
    cls_to_become = Tensor
    materialize, shape, __repr__ = (
        UninitializedParameter.materialize,
        UninitializedParameter.shape,
        UninitializedParameter.__repr__,
    )

    def __init__(self, requires_grad: bool = False, device=None, dtype=None) -> None:
        self._init_leaf(_placeholder(device, dtype), requires_grad)


def _placeholder(device, dtype):
    """The empty array an uninitialized tensor holds, on ``device`` (cpu by default)."""
    data = array_module().empty(0, dtypes.to_dtype(dtype) or dtypes.get_default_dtype())
    return data if device is None else to_device(data, device)


def is_lazy(t) -> bool:
    return isinstance(t, UninitializedParameter | UninitializedBuffer)


class LazyModuleMixin:
    """Infers the missing size on the first call, then becomes ``cls_to_become``."""

    cls_to_become: type = Module

    def has_uninitialized_params(self) -> bool:
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def forward(self, *args, **kwargs):
        # always: a layer with nothing to materialise (no affine, no running stats) still
        # learns its size here, so that the ordinary class's input check passes
        self.initialize_parameters(*args, **kwargs)
        self.__class__ = self.cls_to_become
        return self.forward(*args, **kwargs)

    def _materialize_from_state(self, state_dict, prefix: str) -> None:
        """A checkpoint gives the placeholders their shapes (no initialisation drawn);
        Module.load_state_dict calls this on every lazy sub-module first."""
        for store in (self._parameters, self._buffers):
            for name, t in store.items():
                v = state_dict.get(prefix + name)
                if is_lazy(t) and v is not None:
                    t.materialize(tuple((v._data if isinstance(v, Tensor) else to_host(v)).shape))

    def _materialize(self, shapes: dict) -> None:
        lazy = [
            (getattr(self, name), shape)
            for name, shape in shapes.items()
            if is_lazy(getattr(self, name))
        ]
        for t, shape in lazy:
            t.materialize(shape)
        if lazy:  # a checkpoint's values are kept
            self.reset_parameters()


class LazyLinear(LazyModuleMixin, Linear):
    """Linear with in_features = the first input's last dimension."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        Module.__init__(self)
        self.in_features, self.out_features = 0, out_features
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def initialize_parameters(self, input: Tensor) -> None:
        self.in_features = input.shape[-1]
        self._materialize(
            {"weight": (self.out_features, self.in_features), "bias": (self.out_features,)}
            if self.bias is not None
            else {"weight": (self.out_features, self.in_features)}
        )


class _LazyConvNd(LazyModuleMixin):
    def __init__(
        self,
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
        super().__init__(
            0,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def _make_parameters(self, shape: tuple, bias: bool, dtype) -> None:
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def initialize_parameters(self, input: Tensor) -> None:
        batched = input.ndim == self._dims + 2
        self.in_channels = input.shape[1 if batched else 0]
        if self.in_channels % self.groups:
            raise ValueError("in_channels must be divisible by groups")
        shapes = {"weight": (self.out_channels, self.in_channels // self.groups) + self.kernel_size}
        if self.bias is not None:
            shapes["bias"] = (self.out_channels,)
        self._materialize(shapes)


class LazyConv1d(_LazyConvNd, Conv1d):
    """Conv1d with in_channels = the first input's channel count."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvNd, Conv2d):
    """Conv2d with in_channels = the first input's channel count."""

    cls_to_become = Conv2d


class _LazyNormBase(LazyModuleMixin):
    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(0, eps, momentum, affine, track_running_stats, device, dtype)
        # made after the base class moved the layer to ``device``: placed there directly
        for name in ("weight", "bias") if affine else ():
            self.register_parameter(name, UninitializedParameter(device=device, dtype=dtype))
        if track_running_stats:
            for name in ("running_mean", "running_var"):
                self.register_buffer(name, UninitializedBuffer(device=device, dtype=dtype))

    def initialize_parameters(self, input: Tensor) -> None:
        self.num_features = input.shape[1] if input.ndim > 1 else input.shape[0]
        names = [
            n
            for n in ("weight", "bias", "running_mean", "running_var")
            if getattr(self, n, None) is not None
        ]
        self._materialize(dict.fromkeys(names, (self.num_features,)))


class LazyBatchNorm1d(_LazyNormBase, BatchNorm1d):
    """BatchNorm1d with num_features = the first input's dim 1."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, BatchNorm2d):
    """BatchNorm2d with num_features = the first input's dim 1."""

    cls_to_become = BatchNorm2d
