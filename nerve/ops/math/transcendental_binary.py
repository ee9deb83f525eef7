"""Elementwise functions of two tensors with gradients: fmod and remainder, hypot,
logaddexp and logaddexp2, xlogy, copysign. PyTorch's names and signatures for them are
built in nerve/ops/math/transcendental.py beside the one-input functions.

Integer inputs of the float functions (hypot, logaddexp, xlogy, copysign) compute in the
default float dtype, as PyTorch's do; fmod and remainder keep integers, and an integer
divided by zero is a RuntimeError rather than NumPy's silent 0."""

from __future__ import annotations

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.backend.arrayfns import errstate
from nerve.ops.math.elementwise import _floating, _promote

__all__: list[str] = []


def binary_float(a, b):
    """Both operands as arrays of PyTorch's result dtype, integers as the default float
    (a Python number takes the tensor's dtype, so that float32 is not widened)."""
    a, b = _promote(a, b)
    xp = array_module(a, b)
    dtype = _floating(a if hasattr(a, "dtype") else b).dtype
    return xp.asarray(a, dtype), xp.asarray(b, dtype)


def _integer_division(op: str, a, b) -> None:
    xp = array_module(a, b)
    if xp.asarray(a).dtype.kind in "iu" and xp.any(xp.asarray(b) == 0):
        raise RuntimeError(f"{op}: ZeroDivisionError (an integer divided by zero)")


class Fmod(Function):
    """y = a - trunc(a/b) · b, the remainder with the sign of a;
    ∂L/∂a = δ,  ∂L/∂b = -δ · trunc(a/b)"""

    def forward(self, a, b):
        xp = array_module(a, b)
        self.a, self.b = a, b = _promote(a, b)
        _integer_division("fmod", a, b)
        with errstate(xp, invalid="ignore", divide="ignore"):
            return xp.fmod(a, b)

    def backward(self, dy):
        xp = array_module(dy)
        db = None
        if self.needs_input_grad[1]:
            with errstate(xp, invalid="ignore", divide="ignore"):
                db = -dy * xp.trunc(self.a / self.b)
        return dy, db


class Remainder(Function):
    """y = a - floor(a/b) · b, the remainder with the sign of b (Python's %);
    ∂L/∂a = δ,  ∂L/∂b = -δ · floor(a/b)"""

    def forward(self, a, b):
        xp = array_module(a, b)
        self.a, self.b = a, b = _promote(a, b)
        _integer_division("remainder", a, b)
        with errstate(xp, invalid="ignore", divide="ignore"):
            return xp.remainder(a, b)

    def backward(self, dy):
        xp = array_module(dy)
        db = None
        if self.needs_input_grad[1]:
            with errstate(xp, invalid="ignore", divide="ignore"):
                db = -dy * xp.floor(self.a / self.b)
        return dy, db


class Hypot(Function):
    """y = √(a² + b²) without overflow;  ∂L/∂a = δ · a / y,  ∂L/∂b = δ · b / y"""

    def forward(self, a, b):
        xp = array_module(a, b)
        self.a, self.b = a, b = binary_float(a, b)
        self.y = xp.hypot(a, b)
        return self.y

    def backward(self, dy):
        xp = array_module(dy)
        with errstate(xp, invalid="ignore", divide="ignore"):
            da = dy * self.a / self.y if self.needs_input_grad[0] else None
            db = dy * self.b / self.y if self.needs_input_grad[1] else None
        return da, db


class Logaddexp(Function):
    """y = ln(eᵃ + eᵇ) = max(a, b) + ln(1 + e^-|a-b|), so nothing overflows;
    ∂L/∂a = δ · e^(a - y),  ∂L/∂b = δ · e^(b - y)  (the softmax of the pair)"""

    def forward(self, a, b):
        xp = array_module(a, b)
        self.a, self.b = a, b = binary_float(a, b)
        with errstate(xp, invalid="ignore"):
            self.y = xp.logaddexp(a, b)
        return self.y

    def backward(self, dy):
        xp = array_module(dy)
        with errstate(xp, invalid="ignore"):
            da = dy * xp.exp(self.a - self.y) if self.needs_input_grad[0] else None
            db = dy * xp.exp(self.b - self.y) if self.needs_input_grad[1] else None
        return da, db


class Logaddexp2(Function):
    """y = log₂(2ᵃ + 2ᵇ);  ∂L/∂a = δ · 2^(a - y),  ∂L/∂b = δ · 2^(b - y)"""

    def forward(self, a, b):
        xp = array_module(a, b)
        self.a, self.b = a, b = binary_float(a, b)
        with errstate(xp, invalid="ignore"):
            self.y = xp.logaddexp2(a, b)
        return self.y

    def backward(self, dy):
        xp = array_module(dy)
        with errstate(xp, invalid="ignore"):
            da = dy * xp.exp2(self.a - self.y) if self.needs_input_grad[0] else None
            db = dy * xp.exp2(self.b - self.y) if self.needs_input_grad[1] else None
        return da, db


class Xlogy(Function):
    """y = a · ln b, and 0 where a = 0 (unless b is NaN);
    ∂L/∂a = δ · ln b (PyTorch's choice at a = 0 too, the limit from either side),
    ∂L/∂b = δ · a / b"""

    def forward(self, a, b):
        xp = array_module(a, b)
        self.a, self.b = a, b = binary_float(a, b)
        with errstate(xp, divide="ignore", invalid="ignore"):
            y = a * xp.log(b)
            return xp.where((a == 0) & ~xp.isnan(b), 0, y).astype(y.dtype)

    def backward(self, dy):
        xp = array_module(dy)
        da = db = None
        with errstate(xp, divide="ignore", invalid="ignore"):
            if self.needs_input_grad[0]:
                da = dy * xp.log(self.b)
            if self.needs_input_grad[1]:
                db = dy * self.a / self.b
        return da, db


class Copysign(Function):
    """y = |a| with the sign (bit) of b;  ∂L/∂a = δ · y / a (0 where a = 0),  ∂L/∂b = 0"""

    def forward(self, a, b):
        xp = array_module(a, b)
        self.a, b = binary_float(a, b)
        self.y = xp.copysign(self.a, b)
        return self.y

    def backward(self, dy):
        xp = array_module(dy)
        a = self.a
        da = db = None
        if self.needs_input_grad[0]:
            da = xp.where(a == 0, 0, dy * self.y / xp.where(a == 0, 1, a)).astype(dy.dtype)
        if self.needs_input_grad[1]:
            db = xp.zeros_like(dy)
        return da, db
