"""The rectifier family: leaky, parametric, randomized, concatenated and exponential
linear units (nerve.ops.nn.activation re-exports them; its functionals build them)."""

from __future__ import annotations

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.ops.math.elementwise import Exp, Where
from nerve.ops.math.elementwise_extrema import Clamp

__all__: list[str] = []


class LeakyReLU(Function):
    """y = x if x > 0 else a·x  (a the negative slope);  ∂L/∂x = δ · (1 if x > 0 else a)"""

    def forward(self, x, negative_slope=0.01):
        self.pos, self.slope = x > 0, negative_slope
        xp = array_module(x)
        return xp.where(self.pos, x, x * xp.asarray(negative_slope, dtype=x.dtype))

    def backward(self, dy):
        xp = array_module(dy)
        return xp.where(self.pos, dy, dy * xp.asarray(self.slope, dtype=dy.dtype))

    def backward_graph(self, dy):
        return dy * array_module(self.pos).where(self.pos, 1, self.slope).astype(dy.dtype)


class PReLU(Function):
    """y = max(0, x) + a_c · min(0, x), one learnable slope a_c per channel (axis 1);
    ∂L/∂x = δ · (1 if x > 0 else a_c),  ∂L/∂a_c = Σ over all but the channel axis δ · min(0, x)
    """

    def forward(self, x, w):
        self.x, self.w_shape = x, w.shape
        # (C,) -> (1, C, 1, ..., 1): the slope broadcasts along the channel axis
        self.w = w.reshape((1, -1) + (1,) * (x.ndim - 2)) if w.size > 1 else w.reshape(())
        return array_module(x).where(x > 0, x, x * self.w)

    def backward(self, dy):
        x, xp = self.x, array_module(dy)
        dx = xp.where(x > 0, dy, dy * self.w) if self.needs_input_grad[0] else None
        dw = None
        if self.needs_input_grad[1]:
            g = dy * xp.minimum(x, 0)
            axes = tuple(i for i in range(x.ndim) if i != 1 or self.w.ndim == 0)
            dw = g.sum(axis=axes).reshape(self.w_shape)
        return dx, dw


class RReLU(Function):
    """Randomized leaky ReLU in training: y = r · x with r = 1 for x > 0 and r ~ U(lower, upper)
    drawn per element otherwise (the draw ``noise`` is an input, so it is reproducible);
    ∂L/∂x = δ · r"""

    def forward(self, x, noise):
        self.noise = noise
        return x * noise

    def backward(self, dy):
        return dy * self.noise


class CReLU(Function):
    """Concatenated ReLU: y = [max(0, x), max(0, -x)] joined along ``dim`` (channels double);
    with δ = [δ⁺, δ⁻]:  ∂L/∂x = δ⁺ · [x > 0] - δ⁻ · [x < 0]"""

    def forward(self, x, dim=1):
        self.x, self.dim = x, dim
        xp = array_module(x)
        return xp.concatenate([xp.maximum(x, 0), xp.maximum(-x, 0)], axis=dim)

    def backward(self, dy):
        dpos, dneg = array_module(dy).split(dy, 2, axis=self.dim)
        return dpos * (self.x > 0) - dneg * (self.x < 0)


class ELU(Function):
    """y = x if x > 0 else α (eˣ - 1);  ∂L/∂x = δ · (1 if x > 0 else y + α)

    eˣ - 1 is computed as expm1 of min(x, 0): exact near 0, no overflow for large x."""

    def forward(self, x, alpha=1.0):
        self.pos, self.alpha = x > 0, alpha
        xp = array_module(x)
        self.y = xp.where(self.pos, x, alpha * xp.expm1(xp.minimum(x, 0)))
        return self.y

    def backward(self, dy):
        return array_module(dy).where(self.pos, dy, dy * (self.y + self.alpha))

    def backward_graph(self, dy):
        e = Exp.apply(Clamp.apply(self.parents[0], hi=0.0))  # eˣ of x ≤ 0 only: no inf
        return Where.apply(self.pos, dy, dy * e * self.alpha)
