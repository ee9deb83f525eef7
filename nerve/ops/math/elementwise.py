"""Elementwise arithmetic and math. Broadcasting is undone by the engine, so each
backward returns gradients of the output's shape."""

from __future__ import annotations

from nerve.autograd.function import Function
from nerve.backend import MODULES_OF, array_module
from nerve.backend.arrayfns import errstate
from nerve.dtypes import bool as bool_
from nerve.dtypes import get_default_dtype, is_floating, result_type
from nerve.ops.math.power import pow_grad_a, small_power, small_power_grad
from nerve.tensor import ops_table

__all__ = ["abs", "add", "div", "exp", "log", "mul", "neg", "pow", "sqrt", "square", "sub", "where"]

_ARRAYS = MODULES_OF  # array type -> its module: numpy's, cupy's and the strict device's


def need_tensor(op: str, value, name: str = "other", pos: int = 2) -> None:
    """TypeError, as PyTorch's argument parser raises, for a Python number where only a
    tensor is accepted."""
    if not hasattr(value, "_data"):
        raise TypeError(
            f"{op}(): argument '{name}' (position {pos}) must be Tensor, not {type(value).__name__}"
        )


def need_tensors(op: str, values) -> list:
    """The same for a sequence argument (cat, block_diag, broadcast_tensors ...)."""
    for i, v in enumerate(values):
        if not hasattr(v, "_data"):
            raise TypeError(
                f"{op}(): expected Tensor as element {i} in argument 0, but got {type(v).__name__}"
            )
    return values


class Add(Function):
    """y = a + b;  ∂L/∂a = δ,  ∂L/∂b = δ"""

    def forward(self, a, b):
        a, b = _promote(a, b)
        return a + b

    def backward(self, dy):
        return dy, dy

    def backward_graph(self, dy):
        return dy, dy


class Sub(Function):
    """y = a - b;  ∂L/∂a = δ,  ∂L/∂b = -δ"""

    def forward(self, a, b):
        if _is_bool(a) or _is_bool(b):
            raise ValueError(
                "Subtraction, the `-` operator, with a bool tensor is not "
                "supported. To invert a mask, use the `~` operator instead."
            )
        a, b = _promote(a, b)
        return a - b

    def backward(self, dy):
        return dy, (-dy if self.needs_input_grad[1] else None)

    def backward_graph(self, dy):
        return dy, (-dy if self.needs_input_grad[1] else None)


class Mul(Function):
    """y = a · b;  ∂L/∂a = δ · b,  ∂L/∂b = δ · a"""

    def forward(self, a, b):
        self.a, self.b = a, b = _promote(a, b)
        return a * b

    def backward(self, dy):
        da = dy * self.b if self.needs_input_grad[0] else None
        db = dy * self.a if self.needs_input_grad[1] else None
        return da, db

    def backward_graph(self, dy):
        a, b = self.parents
        return (
            dy * b if self.needs_input_grad[0] else None,
            dy * a if self.needs_input_grad[1] else None,
        )


class Div(Function):
    """y = a / b;  ∂L/∂a = δ / b,  ∂L/∂b = -δ · a / b² = -δ · y / b"""

    def forward(self, a, b):
        a, b = _promote(a, b)
        y = a / b
        if _kind(a) in "iub" and _kind(b) in "iub":
            y = y.astype(get_default_dtype())  # integer / integer is float, as in PyTorch
        self.b, self.y = b, y
        return y

    def backward(self, dy):
        da = dy / self.b if self.needs_input_grad[0] else None
        db = -dy * self.y / self.b if self.needs_input_grad[1] else None
        return da, db

    def backward_graph(self, dy):
        a, b = self.parents
        return (
            dy / b if self.needs_input_grad[0] else None,
            -dy * a / (b * b) if self.needs_input_grad[1] else None,
        )


class Neg(Function):
    """y = -x;  ∂L/∂x = -δ"""

    def forward(self, x):
        if x.dtype.kind == "b":
            raise ValueError(
                "Negation, the `-` operator, on a bool tensor is not supported; "
                "use the `~` operator instead."
            )
        return -x

    def backward(self, dy):
        return -dy

    def backward_graph(self, dy):
        return -dy


class Pow(Function):
    """y = aᵇ;  ∂L/∂a = δ · b · aᵇ⁻¹,  ∂L/∂b = δ · y · ln a  (0 where a = 0 and b ≥ 0)

    A scalar exponent of 2, 3, 0.5 or -1 is a product, a square root or a reciprocal
    (one or two passes, as PyTorch does), not the general ``power`` routine, which is
    ~15x slower; ``ops.power.pow_reference`` is the formula as written, tested to agree."""

    def forward(self, a, b):
        self.a, self.b = a, b = _promote(a, b)
        self.y = small_power(a, b)
        if self.y is None:
            self.y = array_module(a, b).power(a, b)
        return self.y

    def backward(self, dy):
        a, b = self.a, self.b
        da = db = None
        if self.needs_input_grad[0]:
            da = small_power_grad(a, b, self.y, dy)
            if da is None:
                da = pow_grad_a(a, b, dy)
        if self.needs_input_grad[1]:
            xp = array_module(a, b, dy)
            with errstate(xp, divide="ignore", invalid="ignore"):
                db = dy * self.y * xp.log(a)
            db = xp.where((xp.asarray(a) == 0) & (xp.asarray(b) >= 0), 0, db)
        return da, db

    def backward_graph(self, dy):
        """The same rule as nerve ops; b · aᵇ⁻¹ is 0 where b = 0 (also for a = 0)."""
        a, b = self.parents
        da = db = None
        xp = array_module(a, b, dy)
        b_arr = xp.asarray(getattr(b, "_data", b))
        if self.needs_input_grad[0]:
            with errstate(xp, divide="ignore", invalid="ignore"):
                da = dy * (b * a ** (b - 1))
            if (b_arr == 0).any():
                da = Where.apply(b_arr != 0, da, xp.zeros((), dy.dtype))
        if self.needs_input_grad[1]:
            a_arr = xp.asarray(getattr(a, "_data", a))
            with errstate(xp, divide="ignore", invalid="ignore"):
                log_a = Log.apply(a) if hasattr(a, "_data") else xp.log(a_arr)
                db = dy * (a**b) * log_a
            zero = (a_arr == 0) & (b_arr >= 0)
            if zero.any():
                db = Where.apply(~zero, db, xp.zeros((), dy.dtype))
        return da, db


class Exp(Function):
    """y = eˣ;  ∂L/∂x = δ · y"""

    def forward(self, x):
        self.y = array_module(x).exp(_floating(x))
        return self.y

    def backward(self, dy):
        return dy * self.y

    def backward_graph(self, dy):
        return dy * Exp.apply(self.parents[0])


class Log(Function):
    """y = ln x;  ∂L/∂x = δ / x"""

    def forward(self, x):
        self.x = x = _floating(x)
        xp = array_module(x)
        with errstate(xp, divide="ignore", invalid="ignore"):
            return xp.log(x)

    def backward(self, dy):
        with errstate(array_module(dy), divide="ignore"):
            return dy / self.x

    def backward_graph(self, dy):
        with errstate(array_module(dy), divide="ignore"):
            return dy / self.parents[0]


class Sqrt(Function):
    """y = √x;  ∂L/∂x = δ / (2y)"""

    def forward(self, x):
        xp = array_module(x)
        with errstate(xp, invalid="ignore"):
            self.y = xp.sqrt(_floating(x))
        return self.y

    def backward(self, dy):
        with errstate(array_module(dy), divide="ignore"):
            return dy / (2 * self.y)

    def backward_graph(self, dy):
        with errstate(array_module(dy), divide="ignore"):
            return dy / (Sqrt.apply(self.parents[0]) * 2)


class Abs(Function):
    """y = |x|;  ∂L/∂x = δ · sign(x)  (0 at x = 0)"""

    def forward(self, x):
        self.x = x
        return array_module(x).abs(x)

    def backward(self, dy):
        return dy * array_module(dy).sign(self.x)

    def backward_graph(self, dy):
        return dy * array_module(self.x).sign(self.x)


class Where(Function):
    """y = c ? a : b;  ∂L/∂a = δ where c, ∂L/∂b = δ where not c"""

    def forward(self, cond, a, b):
        self.cond = cond
        return array_module(cond).where(cond, *_promote(a, b))

    def backward(self, dy):
        xp = array_module(dy)
        zero = dy.dtype.type(0)  # a NumPy scalar: fine on every device, keeps dy's dtype
        da = xp.where(self.cond, dy, zero) if self.needs_input_grad[1] else None
        db = xp.where(self.cond, zero, dy) if self.needs_input_grad[2] else None
        return None, da, db

    def backward_graph(self, dy):
        zero = array_module(dy).zeros((), dy.dtype)
        da = Where.apply(self.cond, dy, zero) if self.needs_input_grad[1] else None
        db = Where.apply(self.cond, zero, dy) if self.needs_input_grad[2] else None
        return None, da, db


class Cast(Function):
    """y = x converted to another dtype;  ∂L/∂x = δ converted back"""

    def forward(self, x, dtype=None):
        self.dtype = x.dtype
        return x.astype(dtype)

    def backward(self, dy):
        return dy.astype(self.dtype) if is_floating(self.dtype) else None

    def backward_graph(self, dy):
        return Cast.apply(dy, dtype=self.dtype) if is_floating(self.dtype) else None


class Clone(Function):
    """y = a copy of x;  ∂L/∂x = δ"""

    def forward(self, x):
        return x.copy()

    def backward(self, dy):
        return dy

    def backward_graph(self, dy):
        return dy


def _promote(a, b):
    """Both operands as arrays of PyTorch's result dtype; NumPy's own rules differ
    (int64 array * 2.5 would be float64, float32 * 0-d float64 array float64)."""
    ta, tb = type(a), type(b)
    if ta in _ARRAYS:
        if (
            a.dtype == b.dtype
            if tb in _ARRAYS
            else tb is float and a.dtype.kind == "f" or tb is int and a.dtype.kind in "fiu"
        ):
            return a, b  # the common cases, where NumPy already agrees with PyTorch
    elif tb in _ARRAYS and (
        ta is float and b.dtype.kind == "f" or ta is int and b.dtype.kind in "fiu"
    ):
        return a, b
    dtype = result_type(a, b)
    xp = array_module(a, b)  # a scalar becomes a 0-d array on the other operand's device
    return xp.asarray(a, dtype=dtype), xp.asarray(b, dtype=dtype)


def _kind(v) -> str:
    return v.dtype.kind if type(v) in _ARRAYS else "f" if type(v) is float else "i"


def _is_bool(v) -> bool:
    return isinstance(v, bool) or getattr(getattr(v, "dtype", None), "kind", None) == "b"


def _floating(x):
    """Integer and bool inputs of a float function compute in the default float dtype."""
    return x.astype(get_default_dtype()) if x.dtype.kind in "biu" else x


def add(input, other, alpha=1):  # noqa: A002 - PyTorch's argument names
    return Add.apply(input, other if alpha == 1 else other * alpha)


def sub(input, other, alpha=1):
    return Sub.apply(input, other if alpha == 1 else other * alpha)


def mul(input, other):
    return Mul.apply(input, other)


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is not None or out is not None:
        # divide is a composite of the functional tier, above the ops: reached through
        # the table so that the import arrow keeps pointing down
        return ops_table.ops.divide(input, other, rounding_mode=rounding_mode, out=out)
    return Div.apply(input, other)


def neg(input):
    return Neg.apply(input)


def pow(input, exponent):  # noqa: A001, A002
    if getattr(exponent, "dtype", None) == bool_ and getattr(input, "dtype", None) == bool_:
        raise NotImplementedError("pow: not implemented for dtype bool")
    return Pow.apply(input, exponent)


def exp(input):
    return Exp.apply(input)


def log(input):
    return Log.apply(input)


def sqrt(input):
    return Sqrt.apply(input)


def abs(input):  # noqa: A001, A002
    if input._data.dtype.kind == "b":
        raise NotImplementedError("abs: not implemented for dtype bool")
    return Abs.apply(input)


def square(input):
    x = input.long() if input._data.dtype.kind == "b" else input  # pow(b, 2) is int64
    return Mul.apply(x, x)


def where(condition, input=None, other=None):
    if input is None and other is None:  # where(c) is nonzero(c, as_tuple=True)
        return ops_table.ops.nonzero(condition, as_tuple=True)
    cond = (
        condition._data
        if hasattr(condition, "_data")
        else array_module(input, other).asarray(condition)
    )
    if cond.dtype.kind != "b":
        raise RuntimeError(f"where: expected condition to be a bool tensor, got {cond.dtype}")
    return Where.apply(cond, input, other)


# Tensor's methods call these (declared in nerve/tensor/; see nerve/tensor/ops_table.py)
ops_table.register(
    Abs,
    Add,
    Cast,
    Clone,
    Div,
    Mul,
    Neg,
    Pow,
    Sub,
    abs,
    add,
    div,
    exp,
    log,
    mul,
    need_tensor,
    neg,
    pow,
    sqrt,
    square,
    sub,
    where,
)
# PyTorch rounds a Python-number operand of these to a bfloat16 result dtype first
Add.bf16_round_operands = Sub.bf16_round_operands = Pow.bf16_round_operands = True
