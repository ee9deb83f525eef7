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
