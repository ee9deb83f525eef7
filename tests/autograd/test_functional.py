"""nerve.autograd.functional and nerve.autograd.grad/backward against torch."""

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import nerve
import nerve.autograd.functional as NF

rng = np.random.default_rng(0)
X = rng.standard_normal((3,))
Y = rng.standard_normal((2, 3))
V2 = rng.standard_normal((2, 3))


def f_single(lib):
    return lambda x: (x * x).sin() * 2 + x.sum()


def f_multi(lib):
    return lambda x, y: ((x * y).tanh(), (y**2).sum(0) - x, (x * 3).sum())


def f_const(lib):
    return lambda x, y: (x * 2, lib.ones(2, dtype=x.dtype))


def inputs(lib, *arrays):
    return tuple(lib.tensor(a) for a in arrays)


def same(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    else:
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "make, arrays, single",
    [(f_single, (X,), True), (f_multi, (X, Y), False), (f_const, (X, Y), False)],
)
def test_jacobian(make, arrays, single):
    ni, ti = inputs(nerve, *arrays), inputs(torch, *arrays)
    if single:
        ni, ti = ni[0], ti[0]
    same(NF.jacobian(make(nerve), ni), TF.jacobian(make(torch), ti))


def test_jacobian_of_a_scalar_and_of_tuple_inputs_with_one_output():
    f = lambda x, y: (x * y).sum()  # noqa: E731
    same(NF.jacobian(f, inputs(nerve, Y, V2)), TF.jacobian(f, inputs(torch, Y, V2)))
    same(
        NF.jacobian(f, inputs(nerve, Y, V2), strategy="reverse-mode", vectorize=True),
        TF.jacobian(f, inputs(torch, Y, V2)),
    )


def test_vjp():
    v = (rng.standard_normal((2, 3)), rng.standard_normal((3,)), np.array(1.5))
    same(
        NF.vjp(f_multi(nerve), inputs(nerve, X, Y), inputs(nerve, *v)),
        TF.vjp(f_multi(torch), inputs(torch, X, Y), inputs(torch, *v)),
    )
    same(
        NF.vjp(lambda x: (x**3).sum(), nerve.tensor(X)),
        TF.vjp(lambda x: (x**3).sum(), torch.tensor(X)),
    )


def test_jvp():
    v = inputs(nerve, X * 0.5, V2), inputs(torch, X * 0.5, V2)
    same(
        NF.jvp(f_multi(nerve), inputs(nerve, X, Y), v[0]),
        TF.jvp(f_multi(torch), inputs(torch, X, Y), v[1]),
    )
    same(
        NF.jvp(lambda x: x.exp(), nerve.tensor(np.array([0.3]))),
        TF.jvp(lambda x: x.exp(), torch.tensor(np.array([0.3]))),
    )


def test_errors_match_torch():
    for lib, F in ((nerve, NF), (torch, TF)):
        x = lib.tensor(X)
        with pytest.raises(RuntimeError, match="v can only be None"):
            F.vjp(lambda x: x * 2, x)
        with pytest.raises(RuntimeError, match="v can only be None"):
            F.jvp(lambda x: x * 2, x)
        with pytest.raises(TypeError, match="must be either a Tensor or a tuple"):
            F.jacobian(lambda x: 3, x)
        with pytest.raises(TypeError, match="must be either a Tensor or a tuple"):
            F.jacobian(lambda x: x, 3)
        with pytest.raises(NotImplementedError):
            F.jacobian(lambda x: x, x, strategy="forward-mode")


def test_second_order_functions_match_torch():
    f = lambda x: (x * x).sin().sum() * (x**3).sum()  # noqa: E731
    v = rng.standard_normal(3)
    for lib, F in ((nerve, NF), (torch, TF)):
        x = lib.tensor(X)
        got = (
            F.hessian(f, x),
            F.hvp(f, x, lib.tensor(v)),
            F.vhp(f, x, lib.tensor(v)),
            F.jacobian(lambda x: x.tanh() * x, x, create_graph=True),
            lib.autograd.grad((x.requires_grad_() ** 3).sum(), x, create_graph=True),
        )
        if lib is nerve:
            ours = got
        else:
            same(
                tuple(t if isinstance(t, tuple) else t.detach() for t in ours[:4]),
                tuple(t if isinstance(t, tuple) else t.detach() for t in got[:4]),
            )
            same(ours[4][0].detach(), got[4][0].detach())
            assert ours[4][0].grad_fn is not None


# ----- autograd.grad / autograd.backward -----------------------------------------------
def _graph(lib):
    a = lib.tensor(X, requires_grad=True)
    b = lib.tensor(Y, requires_grad=True)
    h = (a * b).tanh()
    return a, b, h, (h * h).sum(), (h.sum(0) * a).sum()


def test_grad_several_outputs_non_leaf_input_and_no_grad_side_effects():
    got = {}
    for name, lib in (("nerve", nerve), ("torch", torch)):
        a, b, h, l1, l2 = _graph(lib)
        g = lib.autograd.grad(
            [l1, l2], [a, h], [lib.tensor(2.0, dtype=lib.float64), None], retain_graph=True
        )
        g2 = lib.autograd.grad(l1, {"b": b})
        got[name] = (g, g2["b"], a.grad, b.grad)
    n, t = got["nerve"], got["torch"]
    same(n[0], t[0])
    same(n[1], t[1])
    assert n[2] is None and n[3] is None and t[2] is None and t[3] is None


def test_grad_unused_inputs_and_errors():
    for lib in (nerve, torch):
        x = lib.ones(2, requires_grad=True)
        w = lib.ones(2, requires_grad=True)
        out = (x * 2).sum()
        with pytest.raises(RuntimeError, match="index 1 appears to not have been used"):
            lib.autograd.grad(out, [x, w], retain_graph=True)
        assert lib.autograd.grad(out, [x, w], allow_unused=True, retain_graph=True)[1] is None
        got = lib.autograd.grad(out, [x, w], materialize_grads=True, retain_graph=True)
        np.testing.assert_array_equal(got[1].numpy(), [0.0, 0.0])
        with pytest.raises(ValueError, match="allow_unused"):
            lib.autograd.grad(out, [x], allow_unused=False, materialize_grads=True)
        with pytest.raises(RuntimeError, match="does not require grad"):
            lib.autograd.grad(out, [lib.ones(2)])
        with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
            lib.autograd.grad(lib.ones(1), [x])
        with pytest.raises(RuntimeError, match="implicitly created only for scalar"):
            lib.autograd.grad(x * 2, [x])
        with pytest.raises(RuntimeError, match="Mismatch in shape: grad_output"):
            lib.autograd.grad(x * 2, [x], lib.ones(3))
        with pytest.raises(RuntimeError, match="got 2 tensors and 1 gradients"):
            lib.autograd.backward([x * 2, x * 3], [lib.ones(2)])


def test_grad_is_grads_batched():
    for lib in (nerve, torch):
        x = lib.tensor(X, requires_grad=True)
        (j,) = lib.autograd.grad(x**2, x, lib.eye(3, dtype=lib.float64), is_grads_batched=True)
        np.testing.assert_allclose(j.numpy(), np.diag(2 * X))


def test_backward_several_roots_and_inputs():
    got = {}
    for name, lib in (("nerve", nerve), ("torch", torch)):
        a, b, h, l1, l2 = _graph(lib)
        lib.autograd.backward([l1, h], [None, lib.ones(2, 3, dtype=lib.float64)], retain_graph=True)
        first = (a.grad.clone(), b.grad.clone())
        a.grad = b.grad = None
        lib.autograd.backward(l2, inputs=[a])
        got[name] = first + (a.grad, b.grad)
        c = lib.ones(2, requires_grad=True)
        m = c * 3
        (m * m).sum().backward(inputs=[m])
        got[name] += (m.grad, c.grad)
    n, t = got["nerve"], got["torch"]
    same(n[:3], t[:3])
    assert n[3] is None and t[3] is None
    same(n[4], t[4])
    assert n[5] is None and t[5] is None
