"""More of PyTorch's activations: the shrink family, threshold, GLU, CELU, the hard
(piecewise-linear) sigmoid and swish, softsign, and the composites tanhshrink and softmin.

At a kink the gradient is the one PyTorch uses: the conditions below are strict, so a point
exactly on a boundary gets the outer piece's slope.
"""

from __future__ import annotations

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.dtypes import bool as bool_
from nerve.dtypes import is_floating
from nerve.ops.inplace.updates import inplace_form, maybe_inplace
from nerve.ops.math.elementwise import Abs, Exp, Where, _floating
from nerve.ops.math.elementwise_extrema import Clamp
from nerve.ops.nn.activation import Sigmoid, _sigmoid, _softmax_dim, softmax, tanh
from nerve.ops.shape.indexing import GetItem
from nerve.ops.shape.rearrange import Cat
from nerve.tensor import wrap_dim as _dim

__all__ = [
    "celu", "celu_", "glu", "hardshrink", "hardsigmoid", "hardswish", "softmin", "softshrink",
    "softsign", "tanhshrink", "threshold", "threshold_",
]  # fmt: skip


class Softsign(Function):
    """y = x / (1 + |x|);  ∂L/∂x = δ / (1 + |x|)²"""

    def forward(self, x):
        x = _floating(x)
        self.den = 1 + array_module(x).abs(x)
        return x / self.den

    def backward(self, dy):
        return dy / (self.den * self.den)

    def backward_graph(self, dy):
        den = Abs.apply(self.parents[0]) + 1
        return dy / (den * den)


class Softshrink(Function):
    """y = x - λ if x > λ, x + λ if x < -λ, else 0;  ∂L/∂x = δ · [|x| > λ]"""

    def forward(self, x, lambd=0.5):
        xp = array_module(x)
        self.keep = xp.abs(x) > lambd
        return xp.where(
            self.keep, x - xp.sign(x) * xp.asarray(lambd, dtype=x.dtype), xp.zeros((), x.dtype)
        )

    def backward(self, dy):
        return dy * self.keep

    def backward_graph(self, dy):
        return dy * self.keep


class Hardshrink(Function):
    """y = x if |x| > λ else 0;  ∂L/∂x = δ · [|x| > λ]"""

    def forward(self, x, lambd=0.5):
        xp = array_module(x)
        self.keep = xp.abs(x) > lambd
        return xp.where(self.keep, x, xp.zeros((), x.dtype))

    def backward(self, dy):
        return dy * self.keep

    def backward_graph(self, dy):
        return dy * self.keep


class Threshold(Function):
    """y = x if x > threshold else value;  ∂L/∂x = δ · [x > threshold]"""

    def forward(self, x, threshold=0.0, value=0.0):
        self.keep = x > threshold
        xp = array_module(x)
        return xp.where(self.keep, x, xp.asarray(value).astype(x.dtype))

    def backward(self, dy):
        return dy * self.keep

    def backward_graph(self, dy):
        return dy * self.keep


class GLU(Function):
    """Gated linear unit: x = [a, b] split in halves along ``dim``, y = a σ(b);
    ∂L/∂a = δ σ(b),  ∂L/∂b = δ a σ(b) (1 - σ(b))"""

    def forward(self, x, dim=-1):
        self.dim = dim
        self.a, b = array_module(x).split(x, 2, axis=dim)
        self.s = _sigmoid(b)
        return self.a * self.s

    def backward(self, dy):
        da = dy * self.s
        db = da * self.a * (1 - self.s)
        return array_module(dy).concatenate([da, db], axis=self.dim)

    def backward_graph(self, dy):
        x = self.parents[0]
        d, half = self.dim % x.ndim, x.shape[self.dim] // 2
        lead = (slice(None),) * d
        a = GetItem.apply(x, index=lead + (slice(0, half),))
        s = Sigmoid.apply(GetItem.apply(x, index=lead + (slice(half, None),)))
        da = dy * s
        return Cat.apply(da, da * a * (1 - s), dim=d)


class CELU(Function):
    """y = x if x > 0 else α (e^(x/α) - 1);  ∂L/∂x = δ · (1 if x > 0 else e^(x/α))

    e^(x/α) - 1 is expm1 of min(x, 0)/α: exact near 0, no overflow for large x. The slope
    is kept as e^(x/α) itself (y/α + 1 would cancel to a few digits for very negative x)."""

    def forward(self, x, alpha=1.0):
        self.pos, xp = x > 0, array_module(x)
        z = xp.minimum(x, 0) / alpha
        self.alpha = alpha
        self.slope = xp.exp(z)
        return xp.where(self.pos, x, alpha * xp.expm1(z)).astype(x.dtype, copy=False)

    def backward(self, dy):
        return array_module(dy).where(self.pos, dy, dy * self.slope)

    def backward_graph(self, dy):
        slope = Exp.apply(Clamp.apply(self.parents[0], hi=0.0) / self.alpha)
        return Where.apply(self.pos, dy, dy * slope)


class Hardsigmoid(Function):
    """y = 0 if x ≤ -3, 1 if x ≥ 3, else x/6 + 1/2  (= relu6(x + 3) / 6);
    ∂L/∂x = δ/6 where -3 < x < 3, else 0"""

    def forward(self, x):
        self.inside = (x > -3) & (x < 3)
        return array_module(x).clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    def backward(self, dy):
        return dy * self.inside / 6

    def backward_graph(self, dy):
        return dy * (self.inside / 6).astype(dy.dtype)


class Hardswish(Function):
    """y = x · hardsigmoid(x): 0 if x ≤ -3, x if x ≥ 3, else x (x + 3) / 6;
    ∂L/∂x = δ · (0 if x ≤ -3, 1 if x ≥ 3, else (2x + 3) / 6)"""

    def forward(self, x):
        self.x = x
        return x * array_module(x).clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    def backward(self, dy):
        x, xp = self.x, array_module(dy)
        slope = xp.where(x <= -3, 0, xp.where(x >= 3, 1, x / 3 + 0.5)).astype(x.dtype)
        return dy * slope

    def backward_graph(self, dy):
        x, xa = self.parents[0], self.x
        inside = (xa > -3) & (xa < 3)
        return dy * Where.apply(inside, x / 3 + 0.5, (xa >= 3).astype(dy.dtype))


# ----- wrappers: PyTorch's signatures and argument checks ---------------------------------
def softsign(input):  # noqa: A002 - PyTorch's argument names
    if input.dtype == bool_:
        raise NotImplementedError(
            "softsign: not implemented for dtype bool (abs has no bool kernel)"
        )
    return Softsign.apply(input)


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be in range [0, inf) but found {lambd}")
    return Softshrink.apply(_need_float(input, "softshrink"), lambd=lambd)


def hardshrink(input, lambd=0.5):
    return Hardshrink.apply(_need_float(input, "hardshrink"), lambd=lambd)


def tanhshrink(input):
    """x - tanh x: a composite, ∂L/∂x = δ tanh² x follows from Sub and Tanh."""
    return input - tanh(input)


def threshold(input, threshold, value, inplace=False):
    return maybe_inplace(input, Threshold.apply(input, threshold=threshold, value=value), inplace)


def glu(input, dim=-1):
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _dim(dim, input.ndim, "glu")
    if input.shape[d] % 2:
        raise RuntimeError(
            f"glu: Halving dimension must be even, but dimension {d} is size {input.shape[d]}"
        )
    return GLU.apply(_need_float(input, "glu"), dim=d)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    return maybe_inplace(input, CELU.apply(_need_float(input, "celu"), alpha=alpha), inplace)


def hardsigmoid(input, inplace=False):
    return maybe_inplace(input, Hardsigmoid.apply(_need_float(input, "hardsigmoid")), inplace)


def hardswish(input, inplace=False):
    return maybe_inplace(input, Hardswish.apply(_need_float(input, "hardswish")), inplace)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim`` (PyTorch's implicit choice when dim is None)."""
    d = _softmax_dim(input, dim, "softmin")
    return softmax(-(input if dtype is None else input.to(dtype)), d)


def _need_float(x, op: str):
    if not is_floating(x.dtype):
        raise NotImplementedError(
            f"{op}: not implemented for dtype {x.dtype} (expected a floating point input)"
        )
    return x


# F.threshold_(x, 0.1, 0.0), F.celu_(x): the functional in-place forms
threshold_ = inplace_form("threshold", "nerve.ops.nn.activation_piecewise.threshold")
celu_ = inplace_form("celu", "nerve.ops.nn.activation_piecewise.celu")
