"""``nerve.autograd.functional``: Jacobians and vector products of a whole function.

    J = jacobian(f, x)          # shape f(x).shape + x.shape
    y, vᵀJ = vjp(f, x, v)       # one backward pass
    y, J v = jvp(f, x, v)       # through the Jacobian (nerve has no forward mode)

Each row of J is one backward pass with a one-hot grad_output (PyTorch's reverse-mode
strategy without vectorize). Hessians need double backward (``create_graph=True``),
which nerve does not have: :func:`hessian`, :func:`hvp` and :func:`vhp` say so.
"""

from __future__ import annotations

import numpy as np

from nerve.autograd.grad_mode import enable_grad
from nerve.autograd.gradients import grad
from nerve.tensor import Tensor

NO_DOUBLE = ("{}: needs double backward (create_graph=True: gradients that are themselves "
             "part of a graph), which nerve does not have")


def _as_tuple(x, what: str, fn: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(x, tuple | list)
    items = tuple(x) if is_tuple else (x,)
    if not all(isinstance(t, Tensor) for t in items):
        kind = type(x if not is_tuple else next(t for t in items if not isinstance(t, Tensor)))
        if what == "inputs":
            raise TypeError(f"The inputs given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but the given inputs has type {kind}.")
        raise TypeError(f"The outputs of the user-provided function given to {fn} must be "
                        "either a Tensor or a tuple of Tensors but the given outputs of the "
                        f"user-provided function has type {kind}.")
    return is_tuple, items


def _call(func, inputs: tuple, fn: str) -> tuple[bool, tuple, tuple]:
    """Fresh leaves for the inputs, the outputs computed from them with grad on."""
    leaves = tuple(Tensor._wrap(x._data).requires_grad_(x.is_floating_point())
                   for x in inputs)
    with enable_grad():
        out = func(*leaves)
    is_tuple, outs = _as_tuple(out, "outputs", fn)
    return is_tuple, outs, leaves


def _check(create_graph: bool, fn: str) -> None:
    if create_graph:
        raise NotImplementedError(NO_DOUBLE.format(f"{fn}(create_graph=True)"))


def _grads(outs: tuple, leaves: tuple, vs: list, retain: bool) -> list:
    """vᵀ J for each leaf (zeros where an input does not reach the outputs)."""
    pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    needed = [x for x in leaves if x.requires_grad]
    if not pairs or not needed:
        return [np.zeros_like(x._data) for x in leaves]
    got = grad([o for o, _ in pairs], needed, [v for _, v in pairs], retain_graph=retain,
               materialize_grads=True)
    it = iter(got)
    return [next(it)._data if x.requires_grad else np.zeros_like(x._data) for x in leaves]


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for output o and input x a Tensor of
    shape ``o.shape + x.shape``, nested as tuples like the outputs and inputs."""
    _check(create_graph, "jacobian")
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or '
                             '"reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse "
                                  "Hessian is only implemented for `vectorize=True`.")
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    out_tuple, outs, leaves = _call(func, inputs, "jacobian")
    result = []
    for k, o in enumerate(outs):
        rows = [[] for _ in leaves]
        n = o._data.size
        for j in range(n):
            onehot = np.zeros(n, o._data.dtype)
            onehot[j] = 1
            keep = not (k == len(outs) - 1 and j == n - 1)
            for r, g in zip(rows, _grads((o,), leaves, [onehot.reshape(o._data.shape)], keep)):
                r.append(g)
        blocks = tuple(
            Tensor._wrap(np.stack(r).reshape(o._data.shape + x._data.shape) if r
                         else np.zeros(o._data.shape + x._data.shape, x._data.dtype))
            for r, x in zip(rows, leaves))
        result.append(blocks if in_tuple else blocks[0])
    return tuple(result) if out_tuple else result[0]


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ J)``: one backward pass with ``v`` as the grad_output."""
    _check(create_graph, "vjp")
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    out_tuple, outs, leaves = _call(func, inputs, "vjp")
    if v is None:
        if len(outs) != 1 or outs[0]._data.size != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
        vs = [np.ones_like(outs[0]._data)]
    else:
        vs = [t._data for t in _as_tuple(v, "inputs", "vjp")[1]]
        _same_shapes(vs, outs, "outputs of the user-provided function")
    grads = tuple(Tensor._wrap(g) for g in _grads(outs, leaves, vs, False))
    return _detached(outs, out_tuple), grads if in_tuple else grads[0]


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``, computed from the Jacobian."""
    _check(create_graph, "jvp")
    in_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
    if v is None:
        if len(ins) != 1 or ins[0]._data.size != 1:
            raise RuntimeError("The vector v can only be None if the input to the "
                               "user-provided function is a single Tensor with a single "
                               "element.")
        vs = [np.ones_like(ins[0]._data)]
    else:
        vs = [t._data for t in _as_tuple(v, "inputs", "jvp")[1]]
        _same_shapes(vs, ins, "inputs")
    out_tuple, outs, _ = _call(func, ins, "jvp")
    jac = jacobian(func, tuple(ins))
    jac = jac if out_tuple else (jac,)
    products = []
    for o, row in zip(outs, jac):
        # (O..., I...) -> (O, I) @ (I,) for each input, summed
        total = sum(block._data.reshape(o._data.size, -1) @ vi.reshape(-1)
                    for block, vi in zip(row, vs))
        products.append(Tensor._wrap(np.asarray(total).reshape(o._data.shape)))
    return _detached(outs, out_tuple), tuple(products) if out_tuple else products[0]


def _same_shapes(vs: list, ts: tuple, what: str) -> None:
    if len(vs) != len(ts):
        raise RuntimeError(f"v has invalid size: should be {len(ts)} but got {len(vs)}")
    for i, (a, t) in enumerate(zip(vs, ts)):
        if a.shape != t._data.shape:
            raise RuntimeError(f"Mismatch in shape: v[{i}] has a shape of "
                               f"nerve.Size({list(a.shape)}) and the {what}[{i}] has a shape "
                               f"of nerve.Size({list(t._data.shape)}).")


def _detached(outs: tuple, is_tuple: bool):
    d = tuple(o.detach() for o in outs)
    return d if is_tuple else d[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    raise NotImplementedError(NO_DOUBLE.format("hessian"))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    raise NotImplementedError(NO_DOUBLE.format("hvp"))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    raise NotImplementedError(NO_DOUBLE.format("vhp"))


__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]
