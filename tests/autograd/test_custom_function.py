"""PyTorch-style custom Functions: the same class body runs in nerve and in torch."""

import numpy as np
import pytest
import torch

import nerve

LIBS = {"nerve": nerve, "torch": torch}


def t(lib, arr, requires_grad=True):
    return lib.tensor(np.asarray(arr), requires_grad=requires_grad)


def np_of(x):
    return None if x is None else np.asarray(x.detach().numpy())


def both(build, run):
    """``run(lib, Fn)`` in both frameworks; the results (nested arrays) must match."""
    got = {name: run(lib, build(lib)) for name, lib in LIBS.items()}

    def same(a, b):
        if isinstance(a, tuple | list):
            assert len(a) == len(b)
            for x, y in zip(a, b):
                same(x, y)
        elif a is None or b is None:
            assert a is None and b is None
        else:
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-9)

    same(got["nerve"], got["torch"])
    return got["nerve"]


# ----- the Functions, written once for both frameworks -----------------------------------
def make_sq(lib):
    class Sq(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k=2):
            ctx.save_for_backward(x)
            ctx.k = k
            return x**k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ctx.k * x ** (ctx.k - 1), None

    return Sq


def make_mul_add(lib):
    class MulAdd(lib.autograd.Function):
        """Two tensor inputs, a scalar in between, two outputs."""

        @staticmethod
        def forward(ctx, a, s, b):
            ctx.save_for_backward(a, b)
            ctx.s = s
            return a * b * s, a + b

        @staticmethod
        def backward(ctx, g_prod, g_sum):
            a, b = ctx.saved_tensors
            da = db = None
            if ctx.needs_input_grad[0]:
                da = g_prod * b * ctx.s + g_sum
            if ctx.needs_input_grad[2]:
                db = g_prod * a * ctx.s + g_sum
            return da, None, db

    return MulAdd


def make_setup_style(lib):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(x, w):
            return x * w

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, w = inputs
            ctx.save_for_backward(x, w)

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            return g * w, g * x  # (3, 2) for w of (1, 2): summed back, as in torch

    return Scale


def test_pytorch_example_values_and_gradients():
    def run(lib, fn):
        x = t(lib, [[1.0, -2.0, 3.0], [0.5, 0.25, -1.5]])
        y = fn.apply(x, 3)
        (y * t(lib, [[1.0, 2, 3], [4, 5, 6]], False)).sum().backward()
        return np_of(y), np_of(x.grad), y.grad_fn.name(), type(y.grad_fn).__name__

    got = {n: run(lib, make_sq(lib)) for n, lib in LIBS.items()}
    for a, b in zip(got["nerve"][:2], got["torch"][:2]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert got["nerve"][2:] == got["torch"][2:] == ("SqBackward", "SqBackward")


def test_keyword_argument_and_default():
    def run(lib, fn):
        x = t(lib, [1.0, 2.0, -3.0])
        y = fn.apply(x, k=3) + fn.apply(x)
        y.sum().backward()
        return np_of(y), np_of(x.grad)

    both(make_sq, run)


def test_two_outputs_scalar_argument_and_needs_input_grad():
    def run(lib, fn):
        a = t(lib, [1.0, 2.0, 3.0])
        b = t(lib, [[0.5, -1.0, 2.0]], requires_grad=False)
        p, s = fn.apply(a, 2.5, b)
        (p.sum() * 2 + (s * s).sum()).backward()
        return np_of(p), np_of(s), np_of(a.grad), b.grad

    both(make_mul_add, run)


def test_gradient_broadcast_back_to_input_shape():
    def run(lib, fn):
        x = t(lib, np.arange(6.0).reshape(3, 2))
        w = t(lib, [[2.0, -1.0]])
        y = fn.apply(x, w)
        (y**2).sum().backward()
        return np_of(y), np_of(x.grad), np_of(w.grad)

    both(make_setup_style, run)


def test_unused_output_gets_zeros_or_none_without_materialize():
    def build(lib):
        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, materialize):
                ctx.set_materialize_grads(materialize)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                ctx.seen = (g1 is None, g2 is None)
                d = g1 * 2 if g1 is not None else 0
                return (d + g2 * 3 if g2 is not None else d), None

        return Two

    def run(lib, fn):
        out = []
        for materialize in (True, False):
            x = t(lib, [1.0, 2.0])
            a, _ = fn.apply(x, materialize)
            node = a.grad_fn
            a.sum().backward(retain_graph=True)
            out.append((np_of(x.grad), node.seen))
        return out

    got = {n: run(lib, build(lib)) for n, lib in LIBS.items()}
    assert (
        [s for _, s in got["nerve"]]
        == [s for _, s in got["torch"]]
        == [(False, False), (False, True)]
    )
    for (ga, _), (gb, _) in zip(got["nerve"], got["torch"]):
        np.testing.assert_allclose(ga, gb)


def test_non_differentiable_and_integer_outputs():
    def build(lib):
        class SortIdx(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x * 2
                m = x * 1
                ctx.mark_non_differentiable(m)
                return y, m, (x > 0).long()

            @staticmethod
            def backward(ctx, g, gm, gi):
                ctx.kinds = (tuple(gm.shape), float(gm.abs().sum()), str(gi.dtype)[-5:])
                return g * 2

        return SortIdx

    def run(lib, fn):
        x = t(lib, [1.0, -2.0, 3.0])
        y, m, i = fn.apply(x)
        flags = (y.requires_grad, m.requires_grad, i.requires_grad, m.grad_fn is None)
        node = y.grad_fn
        y.sum().backward()
        return flags, np_of(x.grad), node.kinds

    got = {n: run(lib, build(lib)) for n, lib in LIBS.items()}
    assert got["nerve"][0] == got["torch"][0] == (True, False, False, True)
    assert got["nerve"][2] == got["torch"][2]
    np.testing.assert_allclose(got["nerve"][1], got["torch"][1])


def test_returning_an_input_and_no_grad_inputs():
    def build(lib):
        class Id(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.grad_enabled = lib.is_grad_enabled()
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 3

        return Id

    def run(lib, fn):
        x = t(lib, [1.0, 2.0])
        y = fn.apply(x)
        node = y.grad_fn
        y.sum().backward()
        free = fn.apply(t(lib, [1.0], requires_grad=False))
        with lib.no_grad():
            off = fn.apply(x)
        return (
            y is x,
            node.grad_enabled,
            free.requires_grad,
            off.requires_grad,
            off.grad_fn is None,
        ), np_of(x.grad)

    got = {n: run(lib, build(lib)) for n, lib in LIBS.items()}
    assert got["nerve"][0] == got["torch"][0] == (False, False, False, False, True)
    np.testing.assert_allclose(got["nerve"][1], got["torch"][1])


def test_mark_dirty_rebases_the_input():
    def build(lib):
        class DoubleInPlace(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 2

        return DoubleInPlace

    def run(lib, fn):
        w = t(lib, [1.0, -3.0])
        z = w * 1.5
        out = fn.apply(z)
        same = out is z and z.grad_fn is out.grad_fn and type(z.grad_fn).__name__
        (z * z).sum().backward()
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            fn.apply(w)
        return same, np_of(z), np_of(w.grad)

    got = {n: run(lib, build(lib)) for n, lib in LIBS.items()}
    assert got["nerve"][0] == got["torch"][0] == "DoubleInPlaceBackward"
    for a, b in zip(got["nerve"][1:], got["torch"][1:]):
        np.testing.assert_allclose(a, b)


def test_saved_tensors_freed_after_backward():
    for lib in LIBS.values():
        x = t(lib, [1.0, 2.0])
        y = make_sq(lib).apply(x, 2)
        y.sum().backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            _ = y.grad_fn.saved_tensors


def test_once_differentiable_decorator():
    for lib in LIBS.values():

        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x**3

            @staticmethod
            @lib.autograd.function.once_differentiable
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 3 * x**2

        x = t(lib, [1.0, 2.0])
        Cube.apply(x).sum().backward()
        np.testing.assert_allclose(np_of(x.grad), [3.0, 12.0])


# ----- errors: PyTorch's types and messages -------------------------------------------
def _error(lib, backward_result, forward_args=1):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, *rest):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return backward_result(g)

    x = t(lib, np.ones((2, 3)))
    args = (x, 2.0)[:forward_args]
    with pytest.raises(Exception) as info:
        Bad.apply(*args).sum().backward()
    return info.type, str(info.value)


@pytest.mark.parametrize(
    "result, n_args",
    [
        (lambda g: (g, g), 1),  # too many gradients
        (lambda g: g, 2),  # too few
        (lambda g: g[0], 1),  # wrong shape
        (lambda g: g[:1], 1),  # not broadcastable back
        (lambda g: (g, g), 2),  # a gradient for a non-tensor input
        (lambda g: 3, 1),  # not a tensor
    ],
)
def test_bad_gradients_raise_like_torch(result, n_args):
    want = _error(torch, result, n_args)
    got = _error(nerve, result, n_args)
    assert got[0] is want[0] is RuntimeError
    assert got[1] == want[1]


def test_extra_trailing_nones_and_expandable_gradients_are_accepted():
    for lib in LIBS.values():
        x = t(lib, np.ones((2, 3)))

        class Loose(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g.expand(4, 2, 3), None, None

        Loose.apply(x).sum().backward()
        np.testing.assert_allclose(np_of(x.grad), np.full((2, 3), 4.0))


def test_missing_backward_and_unexpected_keyword():
    for lib in LIBS.values():

        class NoBackward(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

        with pytest.raises(NotImplementedError, match="must implement either the backward"):
            NoBackward.apply(t(lib, [1.0])).sum().backward()

        class KwOnly(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, *, scale=1.0):
                return x * scale

            @staticmethod
            def backward(ctx, g):
                return g

        with pytest.raises(TypeError, match="unexpected keyword argument 'scale'"):
            KwOnly.apply(t(lib, [1.0]), scale=2.0)


def test_internal_ops_keep_the_base_apply():
    from nerve.autograd.function import Function
    from nerve.ops.nn.activation import Sigmoid

    assert Sigmoid.apply.__func__ is Function.apply.__func__
    assert make_sq(nerve).apply.__func__ is not Function.apply.__func__
