"""Activation functions and softmax. Each is stable for large |x|."""

from __future__ import annotations

from nerve.autograd import grad_mode
from nerve.autograd.function import Function
from nerve.backend import array_module, draws
from nerve.backend.parallel import over_batch
from nerve.dtypes import bool as bool_
from nerve.dtypes import float64, is_floating
from nerve.ops.inplace.updates import inplace_call, maybe_inplace
from nerve.ops.math.elementwise import Where, _floating

# math.elementary, math.special_arrays and math.special import the first three from here
from nerve.ops.math.normal_cdf import (  # noqa: F401
    _erf_series,
    _erfc_tail,
    _normal_cdf,
    _normal_cdf_f32,
)
from nerve.ops.nn.gelu import GELU  # noqa: F401 - re-exported (ONNX export, tests)
from nerve.ops.nn.rectifiers import ELU, CReLU, LeakyReLU, PReLU, RReLU  # noqa: F401 - re-exported
from nerve.random import rng
from nerve.tensor import ops_table
from nerve.tensor import wrap_dim as _dim

__all__ = [
    "crelu", "elu", "gelu", "hardtanh", "leaky_relu", "log_softmax", "logsigmoid", "mish",
    "prelu", "relu", "relu6", "rrelu", "selu", "sigmoid", "silu", "softmax", "softplus", "tanh",
]  # fmt: skip


class Tanh(Function):
    """y = tanh x;  ∂L/∂x = δ · (1 - y²)"""

    def forward(self, x):
        x = _floating(x)
        self.y = array_module(x).tanh(x)
        return self.y

    def backward(self, dy):
        return dy * (1 - self.y * self.y)

    def backward_graph(self, dy):
        y = Tanh.apply(self.parents[0])
        return dy * (1 - y * y)


class Sigmoid(Function):
    """y = σ(x) = 1 / (1 + e⁻ˣ);  ∂L/∂x = δ · y (1 - y)

    Computed as ½(1 + tanh(x/2)), which never overflows for large |x|.
    """

    def forward(self, x):
        x = _floating(x)
        y = array_module(x).tanh(x * 0.5)
        y += 1
        y *= 0.5
        self.y = y
        return y

    def backward(self, dy):
        return dy * self.y * (1 - self.y)

    def backward_graph(self, dy):
        y = Sigmoid.apply(self.parents[0])
        return dy * y * (1 - y)


class ReLU(Function):
    """y = max(0, x);  ∂L/∂x = δ · [x > 0]

    Large arrays are done in chunks of samples on all cores (memory-bound passes)."""

    def forward(self, x):
        xp = array_module(x)
        if x.ndim == 0:
            self.y = xp.maximum(x, 0)
            return self.y
        self.y = y = xp.empty_like(x)
        over_batch(lambda lo, hi: xp.maximum(x[lo:hi], 0, out=y[lo:hi]), len(x), x.nbytes, like=x)
        return y

    def backward(self, dy):
        y = self.y
        if y.ndim == 0 or dy.shape != y.shape:
            return dy * (y > 0)
        # y's memory layout (a broadcast or differently laid-out δ would impose C order on
        # every op downstream, each then copying back to its channels-last data)
        xp = array_module(dy)
        dx = xp.empty_like(y, dtype=dy.dtype)
        over_batch(
            lambda lo, hi: xp.multiply(dy[lo:hi], y[lo:hi] > 0, out=dx[lo:hi]),
            len(dx),
            dx.nbytes,
            like=dx,
        )
        return dx

    def backward_graph(self, dy):
        return dy * (self.y > 0)


class Softmax(Function):
    """yᵢ = e^(xᵢ - m) / Σⱼ e^(xⱼ - m)  with m = max x (for stability);
    ∂L/∂xᵢ = yᵢ (δᵢ - Σⱼ δⱼ yⱼ)"""

    def forward(self, x, dim=-1):
        self.dim = dim
        e = array_module(x).exp(x - x.max(axis=dim, keepdims=True))
        e /= e.sum(axis=dim, keepdims=True)
        self.y = e
        return e

    def backward(self, dy):
        y = self.y
        return y * (dy - (dy * y).sum(axis=self.dim, keepdims=True))

    def backward_graph(self, dy):
        y = Softmax.apply(self.parents[0], dim=self.dim)
        return y * (dy - (dy * y).sum(dim=self.dim, keepdim=True))


class LogSoftmax(Function):
    """yᵢ = xᵢ - m - ln Σⱼ e^(xⱼ - m)  with m = max x;  ∂L/∂xᵢ = δᵢ - e^(yᵢ) Σⱼ δⱼ"""

    def forward(self, x, dim=-1):
        self.dim = dim
        shifted = x - x.max(axis=dim, keepdims=True)
        xp = array_module(x)
        shifted -= xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        self.y = shifted
        return shifted

    def backward(self, dy):
        return dy - array_module(dy).exp(self.y) * dy.sum(axis=self.dim, keepdims=True)

    def backward_graph(self, dy):
        p = Softmax.apply(self.parents[0], dim=self.dim)
        return dy - p * dy.sum(dim=self.dim, keepdim=True)


def tanh(input):  # noqa: A002 - PyTorch's argument names
    return Tanh.apply(input)


def sigmoid(input):
    return Sigmoid.apply(input)


def relu(input, inplace=False):
    _no_bool(input, "relu")
    return maybe_inplace(input, ReLU.apply(input), inplace, "relu_")


def softmax(input, dim=None, dtype=None):
    x = _cast(input, dtype, "softmax")
    return Softmax.apply(x, dim=_softmax_dim(input, dim, "softmax"))


def log_softmax(input, dim=None, dtype=None):
    x = _cast(input, dtype, "log_softmax")
    return LogSoftmax.apply(x, dim=_softmax_dim(input, dim, "log_softmax"))


def _float_only(x, op: str) -> None:
    """PyTorch has no integer or bool kernel for these activations."""
    if not is_floating(x._data.dtype):
        raise NotImplementedError(
            f"{op}: not implemented for dtype {x._data.dtype} (expected a floating point input)"
        )


def _no_bool(x, op: str) -> None:
    if x._data.dtype == bool_:
        raise RuntimeError(f"{op}: Boolean inputs not supported (got dtype bool)")


def _cast(x, dtype, op: str):
    """``dtype=`` casts first; PyTorch has no integer or bool kernel (NotImplementedError,
    a RuntimeError)."""
    x = x if dtype is None else x.to(dtype)
    if x._data.dtype.kind != "c" and not is_floating(x._data.dtype):
        raise NotImplementedError(
            f"{op}: not implemented for dtype {x._data.dtype} (a "
            "floating point tensor is expected; pass dtype= or call "
            ".float() first)"
        )
    return x


def _softmax_dim(x, dim, op: str) -> int:
    if dim is None:  # PyTorch's legacy implicit choice
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return _dim(dim, x.ndim, op)


# ----- smooth activations -----------------------------------------------------------------
class Softplus(Function):
    """y = (1/β) ln(1 + e^(βx)), and y = x where βx > threshold;
    ∂L/∂x = δ · σ(βx)  (δ where βx > threshold).  ln(1 + eᶻ) is logaddexp(0, z): no overflow."""

    def forward(self, x, beta=1.0, threshold=20.0):
        bx = x * beta
        self.linear, self.bx = bx > threshold, bx
        self.beta = beta
        xp = array_module(x)
        return xp.where(self.linear, x, xp.logaddexp(0, bx) / beta).astype(x.dtype)

    def backward(self, dy):
        return array_module(dy).where(self.linear, dy, dy * _sigmoid(self.bx))

    def backward_graph(self, dy):
        return Where.apply(self.linear, dy, dy * Sigmoid.apply(self.parents[0] * self.beta))


class LogSigmoid(Function):
    """y = ln σ(x) = -ln(1 + e⁻ˣ);  ∂L/∂x = δ · (1 - σ(x)) = δ · σ(-x)"""

    def forward(self, x):
        self.x = x
        return -array_module(x).logaddexp(0, -x)

    def backward(self, dy):
        return dy * _sigmoid(-self.x)

    def backward_graph(self, dy):
        return dy * Sigmoid.apply(-self.parents[0])


class SiLU(Function):
    """y = x σ(x)  (swish);  ∂L/∂x = δ · σ(x) (1 + x (1 - σ(x)))"""

    def forward(self, x):
        self.x, self.s = x, _sigmoid(x)
        return x * self.s

    def backward(self, dy):
        s = self.s
        return dy * s * (1 + self.x * (1 - s))

    def backward_graph(self, dy):
        x = self.parents[0]
        s = Sigmoid.apply(x)
        return dy * s * (x * (1 - s) + 1)


class Mish(Function):
    """y = x tanh(softplus(x));  with t = tanh(softplus(x)):
    ∂L/∂x = δ · (t + x σ(x) (1 - t²))"""

    def forward(self, x):
        self.x = x
        xp = array_module(x)
        self.t = xp.tanh(xp.logaddexp(0, x)).astype(x.dtype)
        return x * self.t

    def backward(self, dy):
        x, t = self.x, self.t
        return dy * (t + x * _sigmoid(x) * (1 - t * t))


class Hardtanh(Function):
    """y = clamp(x, min_val, max_val);  ∂L/∂x = δ · [min_val < x < max_val]"""

    def forward(self, x, min_val=-1.0, max_val=1.0):
        self.inside = (x > min_val) & (x < max_val)
        return array_module(x).clip(x, min_val, max_val).astype(x.dtype)

    def backward(self, dy):
        return dy * self.inside

    def backward_graph(self, dy):
        return dy * self.inside


def _sigmoid(x):
    """σ(x) = ½(1 + tanh(x/2)): never overflows."""
    return 0.5 * (1 + array_module(x).tanh(0.5 * x))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    _float_only(input, "leaky_relu")
    return maybe_inplace(
        input, LeakyReLU.apply(input, negative_slope=negative_slope), inplace, "leaky_relu_"
    )


def prelu(input, weight):
    c = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != c:
        raise RuntimeError(
            "prelu: Mismatch of parameter numbers and input channel size. Found parameter "
            f"numbers = {weight.numel()} and channel size = {c} (input shape "
            f"{tuple(input.shape)})."
        )
    return PReLU.apply(input, weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    if not training:
        out = LeakyReLU.apply(input, negative_slope=(lower + upper) / 2)
        return maybe_inplace(input, out, inplace, "rrelu_")
    x = input._data
    # lower + (upper - lower)·u in float64 is exactly what Generator.uniform computes
    u = draws.uniform(rng(), x.shape, float64, like=x)
    r = (lower + (upper - lower) * u).astype(x.dtype)
    noise = array_module(x).where(x <= 0, r, r.dtype.type(1))
    return maybe_inplace(input, RReLU.apply(input, noise), inplace, "rrelu_")


def crelu(input, dim=1):
    """Concatenated ReLU (not in PyTorch): cat(relu(x), relu(-x)) along ``dim`` (channels)."""
    return CReLU.apply(input, dim=_dim(dim, input.ndim, "crelu"))


def elu(input, alpha=1.0, inplace=False):
    _float_only(input, "elu")
    return maybe_inplace(input, ELU.apply(input, alpha=alpha), inplace, "elu_")


def selu(input, inplace=False):
    if inplace:  # a composite: computed on a snapshot of input, then written into it
        return inplace_call(input, "selu_", selu)
    _float_only(input, "selu")
    return ELU.apply(input, alpha=_SELU_ALPHA) * _SELU_SCALE


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(
            f"gelu: approximate argument must be either none or tanh, got {approximate!r}"
        )
    _float_only(input, "gelu")
    # the forward keeps the slope only where a backward will use it
    needed = grad_mode.state.enabled and input.requires_grad
    return GELU.apply(input, approximate=approximate, derivative=needed)


def softplus(input, beta=1.0, threshold=20.0):
    _float_only(input, "softplus")
    return Softplus.apply(input, beta=beta, threshold=threshold)


def logsigmoid(input):
    _float_only(input, "logsigmoid")
    return LogSigmoid.apply(input)


def silu(input, inplace=False):
    _float_only(input, "silu")
    return maybe_inplace(input, SiLU.apply(input), inplace, "silu_")


def mish(input, inplace=False):
    _float_only(input, "mish")
    return maybe_inplace(input, Mish.apply(input), inplace, "mish_")


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})"
        )
    _no_bool(input, "hardtanh")
    return maybe_inplace(
        input, Hardtanh.apply(input, min_val=min_val, max_val=max_val), inplace, "hardtanh_"
    )


def relu6(input, inplace=False):
    _no_bool(input, "relu6")
    return maybe_inplace(input, Hardtanh.apply(input, min_val=0.0, max_val=6.0), inplace, "relu6_")


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(log_softmax, relu, sigmoid, softmax, tanh)
