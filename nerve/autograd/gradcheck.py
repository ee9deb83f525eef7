"""Compare analytic gradients with central finite differences in float64."""

from __future__ import annotations

import numpy as np


class GradcheckError(RuntimeError):
    """Analytic and numerical gradients disagree."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, tuple | list) else (out,)


def _weighted(outs, weights) -> float:
    return float(sum((o._data.astype(np.float64) * w).sum() for o, w in zip(outs, weights)))


def gradcheck(
    fn,
    inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check ``fn``'s gradients w.r.t. every input that requires grad.

    With a random upstream gradient v, L = Σ v · fn(x). The analytic ∂L/∂x from
    backward must match (L(x + εeᵢ) - L(x - εeᵢ)) / 2ε for every element i.
    Inputs that require grad must be float64 (finite differences need the precision).
    """
    from nerve.tensor import Tensor

    inputs = tuple(inputs) if isinstance(inputs, tuple | list) else (inputs,)
    checked = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    for x in checked:
        if x.dtype != np.float64:
            raise GradcheckError(f"gradcheck: inputs must be float64, got {x.dtype}")
    outs = _outputs(fn, inputs)
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(o.shape) for o in outs]
    analytic = _analytic(outs, weights, checked)
    for k, x in enumerate(checked):
        numeric = _numerical(fn, inputs, x, weights, eps)
        if not np.allclose(analytic[k], numeric, rtol=rtol, atol=atol):
            if not raise_exception:
                return False
            err = np.abs(analytic[k] - numeric).max()
            raise GradcheckError(
                f"gradcheck: Jacobian mismatch for input {k} of shape {tuple(x.shape)} "
                f"(max abs error {err:.3g})\nanalytic:\n{analytic[k]}\nnumerical:\n{numeric}"
            )
    return True


def _analytic(outs, weights, checked) -> list:
    """∂L/∂x by backward, leaving the inputs' ``.grad`` as they were."""
    from nerve.tensor import Tensor

    saved = [x.grad for x in checked]
    for x in checked:
        x.grad = None
    total = None
    for o, w in zip(outs, weights):
        if o.requires_grad:
            term = (o * Tensor._wrap(w.astype(o.dtype))).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()
    grads = [np.zeros(x.shape) if x.grad is None else x.grad._data for x in checked]
    for x, g in zip(checked, saved):
        x.grad = g
    return grads


def _numerical(fn, inputs, x, weights, eps: float) -> np.ndarray:
    """(L(x + εeᵢ) - L(x - εeᵢ)) / 2ε for every element i, perturbing x in place
    (element by element, so a non-contiguous array is perturbed correctly too)."""
    from nerve.autograd.grad_mode import no_grad

    data, numeric = x._data, np.zeros(x.shape)
    with no_grad():
        for i in np.ndindex(data.shape):
            orig = data[i]
            data[i] = orig + eps
            plus = _weighted(_outputs(fn, inputs), weights)
            data[i] = orig - eps
            minus = _weighted(_outputs(fn, inputs), weights)
            data[i] = orig
            numeric[i] = (plus - minus) / (2 * eps)
    return numeric


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    seed: int = 0,
    **_ignored,
) -> bool:
    """Check the second derivatives of ``func`` (double backward) as torch's gradgradcheck.

    The first-order gradient G(x, v) = vᵀ ∂func/∂x, taken with ``create_graph=True``, is
    itself a function of the inputs x and the grad_outputs v; :func:`gradcheck` then
    compares its backward (the recorded backward graph) with central differences
    (G(x + εeᵢ) - G(x - εeᵢ)) / 2ε in float64, w.r.t. x and v. Without ``grad_outputs``,
    random float64 ones (requiring grad) are drawn. Before that, G must equal the
    first-order gradient (nerve's recorded backward is a second implementation of it).
    """
    from nerve.autograd.grad_mode import enable_grad
    from nerve.autograd.gradients import grad
    from nerve.tensor import Tensor

    inputs = tuple(inputs) if isinstance(inputs, tuple | list) else (inputs,)
    n = len(inputs)
    if grad_outputs is None:
        with enable_grad():
            outs = _outputs(func, inputs)
        rng = np.random.default_rng(seed)
        grad_outputs = tuple(
            Tensor._wrap(rng.standard_normal(o.shape)).requires_grad_()
            for o in outs
            if o.requires_grad
        )
    else:
        grad_outputs = (
            tuple(grad_outputs) if isinstance(grad_outputs, tuple | list) else (grad_outputs,)
        )

    def first_order(*args):
        xs, vs = args[:n], args[n:]
        diff = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        with enable_grad():
            outs = [o for o in _outputs(func, xs) if o.requires_grad]
            got = grad(outs, diff, list(vs), create_graph=True, allow_unused=True)
        return tuple(Tensor._wrap(np.zeros(x.shape)) if g is None else g for g, x in zip(got, diff))

    # nerve's recorded backward is code of its own (backward_graph), so check first that it
    # gives the first-order gradient at all (torch's has one backward for both)
    recorded = first_order(*inputs, *grad_outputs)
    with enable_grad():
        outs = [o for o in _outputs(func, inputs) if o.requires_grad]
        diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
        plain = grad(outs, diff, list(grad_outputs), allow_unused=True)
    for k, (r, p) in enumerate(zip(recorded, plain)):
        p = np.zeros(r.shape) if p is None else p._data
        if not np.allclose(r._data, p, rtol=rtol, atol=atol):
            if not raise_exception:
                return False
            raise GradcheckError(
                f"gradgradcheck: the gradient recorded with create_graph=True differs from the "
                f"first-order one for input {k} of shape {tuple(r.shape)} (max abs error "
                f"{np.abs(r._data - p).max():.3g})"
            )
    return gradcheck(
        first_order,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        seed=seed,
    )
