"""In-place updates (``add_``, ``fill_``, ``x[i] = v`` ...), attached to Tensor as methods.

They write into the tensor's array and record nothing, so they are allowed only where
no graph can see them: on tensors that do not require grad, or on leaves under
``nerve.no_grad()`` (an optimizer step, an initialiser).
"""

from __future__ import annotations

import numpy as np

from nerve import random as _random


def _array(v):
    return v._data if hasattr(v, "_data") else v


def _ufunc_(x, op: str, ufunc, other):
    x._check_inplace(op)
    try:
        ufunc(x._data, _array(other), out=x._data)
    except (ValueError, TypeError) as err:  # a bad shape, or float into an int tensor
        raise RuntimeError(f"{op}: {err}") from None
    return x


def add_(input, other, alpha=1):  # noqa: A002 - PyTorch's argument names
    return _ufunc_(input, "add_", np.add, other if alpha == 1 else other * alpha)


def sub_(input, other, alpha=1):  # noqa: A002
    return _ufunc_(input, "sub_", np.subtract, other if alpha == 1 else other * alpha)


def mul_(input, other):  # noqa: A002
    return _ufunc_(input, "mul_", np.multiply, other)


def div_(input, other):  # noqa: A002
    return _ufunc_(input, "div_", np.divide, other)


def clamp_(input, min=None, max=None):  # noqa: A002
    input._check_inplace("clamp_")
    np.clip(input._data, _array(min), _array(max), out=input._data)
    return input


def copy_(input, src):  # noqa: A002
    input._check_inplace("copy_")
    input._data[...] = _array(src)
    return input


def fill_(input, value):  # noqa: A002
    input._check_inplace("fill_")
    input._data.fill(value.item() if hasattr(value, "item") else value)
    return input


def zero_(input):  # noqa: A002
    return fill_(input, 0)


def uniform_(input, a: float = 0.0, b: float = 1.0, generator=None):  # noqa: A002
    input._check_inplace("uniform_")
    input._data[...] = _random.rng(generator).uniform(a, b, input._data.shape)
    return input


def normal_(input, mean: float = 0.0, std: float = 1.0, generator=None):  # noqa: A002
    input._check_inplace("normal_")
    input._data[...] = _random.rng(generator).normal(mean, std, input._data.shape)
    return input


def bernoulli_(input, p: float = 0.5, generator=None):  # noqa: A002
    input._check_inplace("bernoulli_")
    input._data[...] = _random.rng(generator).random(input._data.shape) < p
    return input


def masked_fill_(input, mask, value):  # noqa: A002
    input._check_inplace("masked_fill_")
    input._data[np.broadcast_to(_array(mask), input._data.shape)] = _array(value)
    return input


def setitem(input, index, value) -> None:  # noqa: A002
    from nerve.tensor import _index

    input._check_inplace("__setitem__")
    input._data[_index(index)] = _array(value)


# ----- in-place math (x.exp_(), x.relu_() ...) and the functional ``inplace=`` flag ------
def _write(input, arr, op: str):  # noqa: A002
    try:
        np.copyto(input._data, arr, casting="same_kind")
    except TypeError:
        raise RuntimeError(f"{op}: result type {arr.dtype} can't be cast to the desired "
                           f"output type {input._data.dtype}") from None
    return input


def maybe_inplace(input, out, inplace: bool):  # noqa: A002
    """The functional ops' ``inplace=True``: write ``out`` into ``input`` and return it,
    unless a graph needs ``input`` (it requires grad in grad mode); then, as nn.ReLU(
    inplace=True) does, the out-of-place result is returned and ``input`` is unchanged."""
    if not inplace or (input.requires_grad and _grad_enabled()):
        return out
    return _write(input, out._data, "inplace")


def _grad_enabled() -> bool:
    from nerve.autograd import grad_mode

    return grad_mode._enabled[0]


def _math_(name: str, fn_path: str):
    """``x.<name>_(*args)``: the out-of-place op's result written back into x."""
    module, attr = fn_path.rsplit(".", 1)

    def method(input, *args, **kwargs):  # noqa: A002
        import importlib

        from nerve.autograd.grad_mode import no_grad

        op = name + "_"
        input._check_inplace(op)
        if name in ("floor", "ceil", "round", "trunc") and input._data.dtype.kind in "iub":
            return input  # rounding an integer tensor changes nothing
        with no_grad():
            out = getattr(importlib.import_module(module), attr)(input, *args, **kwargs)
        return _write(input, out._data, op)

    method.__name__ = name + "_"
    method.__doc__ = f"In-place ``{name}``: the result is written into this tensor."
    return method


_MATH = {
    "relu": "nerve.ops.activation.relu", "sigmoid": "nerve.ops.activation.sigmoid",
    "tanh": "nerve.ops.activation.tanh", "exp": "nerve.ops.elementwise.exp",
    "log": "nerve.ops.elementwise.log", "sqrt": "nerve.ops.elementwise.sqrt",
    "abs": "nerve.ops.elementwise.abs", "neg": "nerve.ops.elementwise.neg",
    "pow": "nerve.ops.elementwise.pow", "sin": "nerve.ops.elementwise.sin",
    "cos": "nerve.ops.elementwise.cos", "square": "nerve.ops.elementwise.square",
    "clamp_min": "nerve.ops.inplace.clamp_min", "clamp_max": "nerve.ops.inplace.clamp_max",
    "floor": "nerve.ops.compare.floor", "ceil": "nerve.ops.compare.ceil",
    "round": "nerve.ops.compare.round", "sign": "nerve.ops.compare.sign",
    "log1p": "nerve.ops.mathfns.log1p", "expm1": "nerve.ops.mathfns.expm1",
    "erf": "nerve.ops.mathfns.erf", "atan2": "nerve.ops.mathfns.atan2",
    "lerp": "nerve.ops.mathfns.lerp", "scatter": "nerve.ops.scatter.scatter",
    "scatter_add": "nerve.ops.scatter.scatter_add", "index_add": "nerve.ops.scatter.index_add",
}
MATH_INPLACE = {name + "_": _math_(name, path) for name, path in _MATH.items()}
# F.relu_(x), F.leaky_relu_(x, 0.2) ...: the functional in-place activations
relu_ = MATH_INPLACE["relu_"]
leaky_relu_ = _math_("leaky_relu", "nerve.ops.activation.leaky_relu")
elu_ = _math_("elu", "nerve.ops.activation.elu")
hardtanh_ = _math_("hardtanh", "nerve.ops.activation.hardtanh")
rrelu_ = _math_("rrelu", "nerve.ops.activation.rrelu")


def clamp_min(input, min):  # noqa: A002
    from nerve.ops.elementwise import clamp

    return clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002
    from nerve.ops.elementwise import clamp

    return clamp(input, max=max)
