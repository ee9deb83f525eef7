"""Tensor: an n-dimensional array with reverse-mode automatic differentiation.

Where Tensor's methods are declared (each a one-liner calling an op through the ops
table, ops_table.py, which the op modules fill as they load):

    core.py          the class: data, properties, operators, indexing protocol, printing
    shape.py         view, reshape, permute, transpose, squeeze, split, flip, narrow ...
    math.py          elementwise math: add, exp, sin, pow, clamp, sigmoid, lgamma ...
    compare.py       comparisons, tests and rounding: gt, isnan, floor, logical_and ...
    reduce.py        sum, mean, max, var, cumsum, sort, topk, median, quantile ...
    indexing.py      x[i], x[i] = v, gather, scatter, take, index_put, nonzero, unique ...
    linalg.py        matmul, mm, addmm, det, inverse, svd, norm, cov ...
    inplace.py       add_, copy_, fill_, uniform_ ... and in-place index and product ops
    inplace_math.py  exp_, relu_, fmod_, lerp_ ...: in-place elementwise math
    conversion.py    float(), long() ..., new_zeros ..., stride, storage_offset
    autograd.py      requires_grad_, detach, backward, register_hook, retain_grad
    device.py        device, cpu(), cuda(), numpy(), __array__, __dlpack__
    size.py          Size and the dimension check
"""

from nerve.tensor.core import Tensor, index_arrays
from nerve.tensor.size import Size, wrap_dim

__all__ = ["Size", "Tensor", "index_arrays", "wrap_dim"]
