"""``nerve.autograd.functional``: Jacobians, Hessians and vector products of a function.

    J = jacobian(f, x)          # shape f(x).shape + x.shape
    y, vᵀJ = vjp(f, x, v)       # one backward pass
    y, J v = jvp(f, x, v)       # through the Jacobian (nerve has no forward mode)
    H = hessian(f, x)           # the Jacobian of ∇f, shape x.shape + x.shape
    y, H v = hvp(f, x, v)       # = vᵀH for the symmetric Hessian: two backward passes
    y, vᵀH = vhp(f, x, v)

Each row of J is one backward pass with a one-hot grad_output (PyTorch's reverse-mode
strategy without vectorize). Second derivatives differentiate the first-order gradient,
taken with ``create_graph=True`` (nerve/autograd/graph_backward.py):
vᵀH = ∂/∂x (vᵀ ∇f(x)). With ``create_graph=True`` the results are themselves part of
the graph, differentiable w.r.t. inputs that require grad, as in PyTorch.
"""

from __future__ import annotations

from nerve.autograd.grad_mode import enable_grad
from nerve.autograd.gradients import grad
from nerve.backend import array_module as _xp
from nerve.tensor import Tensor


def _as_tuple(x, what: str, fn: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(x, tuple | list)
    items = tuple(x) if is_tuple else (x,)
    if not all(isinstance(t, Tensor) for t in items):
        kind = type(x if not is_tuple else next(t for t in items if not isinstance(t, Tensor)))
        if what == "inputs":
            raise TypeError(
                f"The inputs given to {fn} must be either a Tensor or a tuple of "
                f"Tensors but the given inputs has type {kind}."
            )
        raise TypeError(
            f"The outputs of the user-provided function given to {fn} must be "
            "either a Tensor or a tuple of Tensors but the given outputs of the "
            f"user-provided function has type {kind}."
        )
    return is_tuple, items


def _call(func, inputs: tuple, fn: str, create_graph: bool = False):
    """The inputs as the function sees them and its outputs, computed with grad on.

    Without create_graph the inputs are fresh leaves (the results know nothing of the
    inputs' history); with it an input that requires grad is used as it is, so that
    the results stay differentiable w.r.t. it (PyTorch's ``_grad_preprocess``)."""
    leaves = tuple(
        x
        if create_graph and x.requires_grad
        else Tensor._wrap(x._data).requires_grad_(x.is_floating_point())
        for x in inputs
    )
    with enable_grad():
        out = func(*leaves)
    is_tuple, outs = _as_tuple(out, "outputs", fn)
    return is_tuple, outs, leaves


def _grads(outs: tuple, leaves: tuple, vs: list, retain: bool, create_graph: bool = False):
    """vᵀ J for each leaf as Tensors (zeros where an input does not reach the outputs)."""
    pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    needed = [x for x in leaves if x.requires_grad]
    zeros = [Tensor._wrap(_xp(x).zeros_like(x._data)) for x in leaves]
    if not pairs or not needed:
        return zeros
    got = grad(
        [o for o, _ in pairs],
        needed,
        [v for _, v in pairs],
        retain_graph=retain or create_graph,
        create_graph=create_graph,
        allow_unused=True,
    )
    it = iter(got)
    res = [next(it) if x.requires_grad else z for x, z in zip(leaves, zeros)]
    return [z if g is None else g for g, z in zip(res, zeros)]


def _block(rows: list, shape: tuple, x, create_graph: bool):
    """Stack the rows ∂oⱼ/∂x into one Tensor of shape ``shape`` (o.shape + x.shape)."""
    if not rows:
        return Tensor._wrap(_xp(x).zeros(shape, x._data.dtype))
    if create_graph:
        from nerve.ops.shape.rearrange import stack

        with enable_grad():
            return stack(rows).reshape(shape)
    return Tensor._wrap(_xp(x).stack([r._data for r in rows]).reshape(shape))


def jacobian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
):
    """The Jacobian of ``func`` at ``inputs``: for output o and input x a Tensor of
    shape ``o.shape + x.shape``, nested as tuples like the outputs and inputs."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse "
            "Hessian is only implemented for `vectorize=True`."
        )
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    out_tuple, outs, leaves = _call(func, inputs, "jacobian", create_graph)
    result = []
    for k, o in enumerate(outs):
        rows = [[] for _ in leaves]
        n = o._data.size
        for j in range(n):
            onehot = _xp(o).zeros(n, o._data.dtype)
            onehot[j] = 1
            keep = not (k == len(outs) - 1 and j == n - 1)
            got = _grads((o,), leaves, [onehot.reshape(o._data.shape)], keep, create_graph)
            for r, g in zip(rows, got):
                r.append(g)
        blocks = tuple(
            _block(r, o._data.shape + x._data.shape, x, create_graph) for r, x in zip(rows, leaves)
        )
        result.append(blocks if in_tuple else blocks[0])
    return tuple(result) if out_tuple else result[0]


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ J)``: one backward pass with ``v`` as the grad_output."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    out_tuple, outs, leaves = _call(func, inputs, "vjp", create_graph)
    if v is None:
        if len(outs) != 1 or outs[0]._data.size != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function "
                "returns a single Tensor with a single element."
            )
        vs = [Tensor._wrap(_xp(outs[0]).ones_like(outs[0]._data))]
    else:
        vs = list(_as_tuple(v, "inputs", "vjp")[1])
        _same_shapes([t._data for t in vs], outs, "outputs of the user-provided function")
    grads = tuple(_grads(outs, leaves, vs, False, create_graph))
    return _detached(outs, out_tuple, create_graph), grads if in_tuple else grads[0]


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``: from the Jacobian, or with ``create_graph`` by the double
    vjp: J v = ∂/∂u (uᵀ J) v for a dummy u (differentiable w.r.t. the inputs)."""
    in_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
    vs = _input_vectors(v, ins, "jvp")
    out_tuple, outs, leaves = _call(func, ins, "jvp", create_graph)
    if create_graph:
        us = [Tensor._wrap(_xp(o).zeros_like(o._data)).requires_grad_() for o in outs]
        uj = _grads(outs, leaves, us, True, True)
        products = tuple(_grads(tuple(uj), tuple(us), vs, True, True))
        return _detached(outs, out_tuple, True), products if out_tuple else products[0]
    jac = jacobian(func, tuple(ins))
    jac = jac if out_tuple else (jac,)
    products = []
    for o, row in zip(outs, jac):
        # (O..., I...) -> (O, I) @ (I,) for each input, summed
        total = sum(
            block._data.reshape(o._data.size, -1) @ vi._data.reshape(-1)
            for block, vi in zip(row, vs)
        )
        products.append(Tensor._wrap(_xp(o).asarray(total).reshape(o._data.shape)))
    return _detached(outs, out_tuple), tuple(products) if out_tuple else products[0]


def _same_shapes(vs: list, ts: tuple, what: str) -> None:
    if len(vs) != len(ts):
        raise RuntimeError(f"v has invalid size: should be {len(ts)} but got {len(vs)}")
    for i, (a, t) in enumerate(zip(vs, ts)):
        if a.shape != t._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: v[{i}] has a shape of "
                f"nerve.Size({list(a.shape)}) and the {what}[{i}] has a shape "
                f"of nerve.Size({list(t._data.shape)})."
            )


def _detached(outs: tuple, is_tuple: bool, create_graph: bool = False):
    d = outs if create_graph else tuple(o.detach() for o in outs)
    return d if is_tuple else d[0]


def _scalar_output(func, fn: str):
    """``func`` checked to return one single-element Tensor, returned squeezed."""

    def single(*inp):
        out = func(*inp)
        is_tuple, outs = _as_tuple(out, "outputs", fn)
        if is_tuple:
            raise RuntimeError(f"The function given to {fn} should return a single Tensor")
        if outs[0]._data.size != 1:
            raise RuntimeError(
                f"The Tensor returned by the function given to {fn} should contain a single element"
            )
        return outs[0].reshape(())

    return single


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """The Hessian of a scalar ``func``: H[i][j] = ∂²f/∂xᵢ∂xⱼ of shape xᵢ.shape + xⱼ.shape
    (a Tensor for one input, a tuple of tuples for several): the Jacobian of ∇f."""
    if outer_jacobian_strategy == "forward-mode":
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse "
            "Hessian is only implemented for `vectorize=True`."
        )
    in_tuple, ins = _as_tuple(inputs, "inputs", "hessian")
    single = _scalar_output(func, "hessian")

    def gradient(*inp):
        return jacobian(single, inp, create_graph=True)

    h = jacobian(gradient, ins, create_graph=create_graph)
    return h if in_tuple else h[0][0]


def _input_vectors(v, ins, fn: str) -> list:
    """The vectors v (one per input, of its shape); None only for a single 1-element input."""
    if v is None:
        if len(ins) != 1 or ins[0]._data.size != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the "
                "user-provided function is a single Tensor with a single "
                "element."
            )
        return [Tensor._wrap(_xp(ins[0]).ones_like(ins[0]._data))]
    vs = list(_as_tuple(v, "inputs", fn)[1])
    _same_shapes([t._data for t in vs], ins, "inputs")
    return vs


def _second(func, inputs, v, create_graph: bool, fn: str):
    """``(f(x), vᵀH)`` by differentiating vᵀ∇f once more."""
    in_tuple, ins = _as_tuple(inputs, "inputs", fn)
    vs = _input_vectors(v, ins, fn)
    _, outs, leaves = _call(_scalar_output(func, fn), ins, fn, create_graph)
    first = _grads(outs, leaves, [Tensor._wrap(_xp(outs[0]).ones_like(outs[0]._data))], True, True)
    pairs = [(g, w) for g, w in zip(first, vs) if g.requires_grad]
    if pairs:
        res = _grads(tuple(g for g, _ in pairs), leaves, [w for _, w in pairs], False, create_graph)
    else:
        res = [Tensor._wrap(_xp(x).zeros_like(x._data)) for x in leaves]
    out = outs[0] if create_graph else outs[0].detach()
    return out, tuple(res) if in_tuple else res[0]


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func``; H is symmetric, so H v = vᵀH."""
    return _second(func, inputs, v, create_graph, "hvp")


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), vᵀH)`` for a scalar ``func``."""
    return _second(func, inputs, v, create_graph, "vhp")


__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]
