"""Higher-order gradients (create_graph=True) against torch: second derivatives of an MLP
and a CNN, a WGAN-GP gradient penalty, Hessian-vector products, a MAML step, Hessians,
a critic trained with a gradient penalty, and the engine's create_graph semantics."""

import numpy as np
import pytest
import torch

import nerve
import nerve.autograd.functional as NF

rng = np.random.default_rng(0)
LIBS = (nerve, torch)


def close(a, b, rtol=1e-9, atol=1e-11):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def twins(build):
    """The same model in nerve and torch (float64), torch's initial weights copied over."""
    torch.manual_seed(0)
    tm = build(torch).double()
    nm = build(nerve).double()
    for p, q in zip(nm.parameters(), tm.parameters()):
        p.data = nerve.tensor(q.detach().numpy().copy())
    return nm, tm


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 3))


def cnn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1),
        nn.Softplus(),
        nn.MaxPool2d(2),
        nn.Conv2d(3, 4, 3, stride=2, padding=1),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(4, 2),
    )


def critic(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1)
    )


X = rng.standard_normal((5, 4))
T = np.array([0, 2, 1, 1, 0])
IMG = rng.standard_normal((3, 2, 4, 4))


@pytest.mark.parametrize("build, data", [(mlp, X), (cnn, IMG)])
def test_gradient_norm_penalty_second_derivatives_match_torch(build, data):
    """d/dθ ‖∂L/∂θ‖² and d/dx ‖∂L/∂x‖² through every layer (double backward)."""
    got = {}
    for lib, model in zip(LIBS, twins(build)):
        x = lib.tensor(data, requires_grad=True)
        target = lib.tensor(T[: len(data)] % (3 if build is mlp else 2))
        loss = lib.nn.functional.cross_entropy(model(x), target)
        params = list(model.parameters())
        grads = lib.autograd.grad(loss, [x, *params], create_graph=True)
        assert all(g.grad_fn is not None for g in grads)
        penalty = sum((g * g).sum() for g in grads)
        penalty.backward()
        got[lib] = [x.grad] + [p.grad for p in params]
    for a, b in zip(got[nerve], got[torch]):
        close(a, b)


def _gradient_penalty(lib, model, real, fake, alpha):
    """WGAN-GP: (‖∇ₓ̂ D(x̂)‖₂ - 1)² at x̂ = α real + (1 - α) fake."""
    xhat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (g,) = lib.autograd.grad(model(xhat).sum(), xhat, create_graph=True)
    return ((g.norm(2, dim=1) - 1) ** 2).mean()


def test_wgan_gp_penalty_and_its_gradient_wrt_the_critic_match_torch():
    real, fake = rng.standard_normal((6, 2)), rng.standard_normal((6, 2)) + 1
    alpha = rng.random((6, 1))
    got = {}
    for lib, model in zip(LIBS, twins(critic)):
        gp = _gradient_penalty(lib, model, *(lib.tensor(a) for a in (real, fake, alpha)))
        # the last bias does not change ∇ₓ D, so gp does not depend on it
        *grads, last = lib.autograd.grad(gp, list(model.parameters()), allow_unused=True)
        assert last is None
        got[lib] = (gp, *grads)
    for a, b in zip(got[nerve], got[torch]):
        close(a, b)


def test_critic_trained_with_a_gradient_penalty_follows_torch():
    """10 Adam steps of a WGAN-GP critic loss: the same loss trajectory as torch."""
    data = [
        (rng.standard_normal((8, 2)), rng.standard_normal((8, 2)) * 0.5 + 2, rng.random((8, 1)))
        for _ in range(10)
    ]
    losses = {}
    for lib, model in zip(LIBS, twins(critic)):
        opt = lib.optim.Adam(model.parameters(), lr=1e-2, betas=(0.5, 0.9))
        losses[lib] = []
        for real, fake, alpha in data:
            real, fake, alpha = (lib.tensor(a) for a in (real, fake, alpha))
            opt.zero_grad()
            loss = (
                model(fake).mean()
                - model(real).mean()
                + 10 * _gradient_penalty(lib, model, real, fake, alpha)
            )
            loss.backward()
            opt.step()
            losses[lib].append(loss.item())
    np.testing.assert_allclose(losses[nerve], losses[torch], rtol=1e-7, atol=1e-9)
    assert losses[nerve][-1] < losses[nerve][0]


def test_hessian_vector_product_of_an_mlp_loss_matches_torch():
    v = [rng.standard_normal(tuple(p.shape)) for p in mlp(torch).parameters()]
    got = {}
    for lib, model in zip(LIBS, twins(mlp)):
        params = list(model.parameters())
        loss = lib.nn.functional.cross_entropy(model(lib.tensor(X)), lib.tensor(T))
        grads = lib.autograd.grad(loss, params, create_graph=True)
        dot = sum((g * lib.tensor(w)).sum() for g, w in zip(grads, v))
        got[lib] = lib.autograd.grad(dot, params)
    for a, b in zip(got[nerve], got[torch]):
        close(a, b)


def test_hvp_vhp_and_hessian_of_an_mlp_loss_in_its_weights_match_torch():
    w0 = rng.standard_normal((3, 4)) * 0.5
    b0, v = rng.standard_normal(3), (rng.standard_normal((3, 4)), rng.standard_normal(3))
    got = {}
    for lib in LIBS:
        F, AF = lib.nn.functional, (NF if lib is nerve else torch.autograd.functional)

        def loss(w, b, lib=lib, fn=F):
            return fn.cross_entropy(fn.linear(lib.tensor(X).tanh(), w, b), lib.tensor(T % 3))

        wb = (lib.tensor(w0), lib.tensor(b0))
        vv = tuple(lib.tensor(a) for a in v)
        got[lib] = (
            *AF.hvp(loss, wb, vv)[1],
            *AF.vhp(loss, wb, vv)[1],
            *(h for row in AF.hessian(loss, wb) for h in row),
        )
    for a, b in zip(got[nerve], got[torch]):
        close(a, b)


def test_maml_inner_and_outer_step_match_torch():
    """θ' = θ - α ∇θ L_train(θ) (create_graph); the outer gradient ∇θ L_val(θ') runs
    through the inner gradient, so it holds the Hessian term."""
    xs, ys = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    xq, yq = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    got = {}
    for lib, model in zip(LIBS, twins(mlp)):
        F = lib.nn.functional
        w1, b1, w2, b2, w3, b3 = model.parameters()

        def forward(x, p, fn=F):
            h = fn.linear(x, p[0], p[1]).tanh()
            h = fn.gelu(fn.linear(h, p[2], p[3]))
            return fn.linear(h, p[4], p[5])

        params = [w1, b1, w2, b2, w3, b3]
        inner = F.mse_loss(forward(lib.tensor(xs), params), lib.tensor(ys))
        grads = lib.autograd.grad(inner, params, create_graph=True)
        fast = [p - 0.1 * g for p, g in zip(params, grads)]
        outer = F.mse_loss(forward(lib.tensor(xq), fast), lib.tensor(yq))
        outer.backward()
        got[lib] = [outer] + [p.grad for p in params]
    for a, b in zip(got[nerve], got[torch]):
        close(a, b)


def test_hessian_of_a_scalar_function_matches_torch():
    a, b = rng.standard_normal(4), rng.standard_normal((2, 4))

    def f(x, y):
        return (x.exp() * (y * y).sum(0)).logsumexp(0) + (x @ y.transpose(0, 1)).tanh().sum()

    h_n = NF.hessian(f, (nerve.tensor(a), nerve.tensor(b)))
    h_t = torch.autograd.functional.hessian(f, (torch.tensor(a), torch.tensor(b)))
    for row_n, row_t in zip(h_n, h_t):
        for x, y in zip(row_n, row_t):
            close(x, y)
    close(
        NF.hessian(lambda x: (x**4).sum(), nerve.tensor(a)),
        torch.autograd.functional.hessian(lambda x: (x**4).sum(), torch.tensor(a)),
    )


# ----- the engine's create_graph semantics, as torch's ---------------------------------------
@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph")
def test_backward_create_graph_accumulates_graph_tensors_into_grad():
    out = {}
    for lib in LIBS:
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True, dtype=lib.float64)
        y = (x**3).sum()
        y.backward(create_graph=True)  # retain_graph defaults to True with create_graph
        first = x.grad
        assert first.grad_fn is not None and first.requires_grad
        y.backward(create_graph=True)  # accumulated out of place: grad = grad + g
        assert x.grad is not first
        (x.grad.sum()).backward()  # x.grad += d/dx Σ 2·3x² = 12x, in place, no graph
        out[lib] = x.grad.detach()
        x.grad = None
        y.backward()  # the graph was kept: a plain backward still works
        assert x.grad.grad_fn is None
    close(out[nerve], out[torch])


def test_grad_of_non_leaf_inputs_and_several_outputs_with_create_graph():
    got = {}
    for lib in LIBS:
        x = lib.tensor(X, requires_grad=True)
        h = (x * 2).sin()
        outs = ((h * h).sum(), (h.exp() * x).sum())
        gh, gx = lib.autograd.grad(outs, (h, x), create_graph=True)
        second = lib.autograd.grad((gh * gx).sum(), x)
        got[lib] = (gh, gx, *second)
    for a, b in zip(got[nerve], got[torch]):
        close(a, b)


def test_hooks_and_retain_grad_see_the_recorded_gradient():
    got = {}
    for lib in LIBS:
        x = lib.tensor(X[0], requires_grad=True)
        h = x * 2 + 1
        h.retain_grad()
        h.register_hook(lambda g: g * 3)
        (g,) = lib.autograd.grad((h.sin() * h).sum(), x, create_graph=True)
        assert h.grad.grad_fn is not None
        got[lib] = [g, h.grad.detach()]
        g.sum().backward()  # the hook runs again on h's gradient in this backward
        got[lib].append(x.grad)
    for a, b in zip(got[nerve], got[torch]):
        close(a, b)


def test_an_op_without_double_backward_raises_naming_it():
    x = nerve.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="TanBackward: no differentiable backward"):
        nerve.autograd.grad(x.tan().sum(), x, create_graph=True)
    (g,) = nerve.autograd.grad(x.tan().sum(), x)  # first order is unaffected
    close(g, 1 / np.cos(X) ** 2)
    # autograd.grad only walks what leads to its inputs: an unrelated op does not matter
    y = nerve.tensor(X, requires_grad=True)
    (g,) = nerve.autograd.grad((x * x).sum() + y.tan().sum(), x, create_graph=True)
    close(g, 2 * X)


def test_custom_functions_differentiate_twice_unless_once_differentiable():
    got = {}
    for lib in LIBS:

        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x**3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 3 * x**2

        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            @lib.autograd.function.once_differentiable
            def backward(ctx, g):
                return g * 2

        x = lib.tensor(X[0], requires_grad=True)
        (g,) = lib.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
        got[lib] = lib.autograd.grad(g.sum(), x)
        y = lib.tensor(X[0], requires_grad=True)
        v = lib.ones(4, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(Twice.apply(y), y, v, create_graph=True)
        with pytest.raises(RuntimeError, match="once_differentiable"):
            g.sum().backward()
    close(got[nerve][0], got[torch][0])


def test_in_place_ops_in_the_graph():
    """An in-place op inside the graph (nerve rebinds the tensor): the recorded gradient
    is right where the ops' double backward needs no overwritten value; where it would,
    a clear error instead of a gradient computed on a stale value."""
    xs = np.array([1.0, -2.0, 3.0])
    x = nerve.tensor(xs, requires_grad=True)
    y = x * x - 2
    nerve.nn.functional.relu(y, inplace=True)
    y.add_(1)
    (g,) = nerve.autograd.grad((y * y).sum(), x, create_graph=True)
    (h,) = nerve.autograd.grad(g.sum(), x)
    on = xs * xs > 2  # y = relu(x² - 2) + 1, g = 4 x y [x² > 2], h = 4 (y + 2x²) [x² > 2]
    yv = np.maximum(xs * xs - 2, 0) + 1
    close(g, 4 * xs * yv * on)
    close(h, 4 * (yv + 2 * xs * xs) * on)
    y = x * 2
    y.mul_(y)  # the product's backward needs the old y, which nerve does not keep
    with pytest.raises(RuntimeError, match="MulBackward: create_graph=True needs the value"):
        nerve.autograd.grad((y * x).sum(), x, create_graph=True)
    buf = nerve.zeros(4, dtype=nerve.float64)
    buf[1:] = x * x  # IndexPut
    (g,) = nerve.autograd.grad((buf * buf).sum(), x, create_graph=True)
    close(nerve.autograd.grad(g.sum(), x)[0], 12 * xs * xs)


def test_multihead_attention_input_gradient_penalty_matches_torch():
    x = rng.standard_normal((2, 5, 8))
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(8, 2, batch_first=True).double()
    nm = nerve.nn.MultiheadAttention(8, 2, batch_first=True).double()
    nm.load_state_dict({k: nerve.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    got = {}
    for lib, m in ((nerve, nm), (torch, tm)):
        xt = lib.tensor(x, requires_grad=True)
        out, _ = m(xt, xt, xt)
        (g,) = lib.autograd.grad((out**2).sum(), xt, create_graph=True)
        (g**2).sum().backward()
        got[lib] = (m.in_proj_weight.grad, m.out_proj.weight.grad, xt.grad)
    for a, b in zip(got[nerve], got[torch]):
        close(a, b)


def test_backward_inputs_batched_grads_and_a_leaf_output_with_create_graph():
    got = {}
    for lib in LIBS:
        x = lib.tensor(X[0], requires_grad=True)
        w = lib.tensor(X[1], requires_grad=True)
        y = (x * w).tanh()
        y.sum().backward(inputs=[x], create_graph=True)  # only x.grad, kept in the graph
        assert w.grad is None and x.grad.grad_fn is not None
        gx = x.grad
        x.grad = None
        (hx,) = lib.autograd.grad(gx.sum(), w, retain_graph=True)
        vs = lib.tensor(np.eye(4))
        (jac,) = lib.autograd.grad(y, x, vs, create_graph=True, is_grads_batched=True)
        (hj,) = lib.autograd.grad(jac.sum(), w)
        (same,) = lib.autograd.grad(x, x, lib.ones(4, dtype=lib.float64), create_graph=True)
        got[lib] = (gx, hx, jac, hj, same)
    for a, b in zip(got[nerve], got[torch]):
        close(a, b)
