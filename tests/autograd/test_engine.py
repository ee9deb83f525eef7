import gc
import weakref

import numpy as np
import pytest
import torch

import nerve
from nerve.autograd.engine import toposort, unbroadcast


def test_10000_op_chain_backward_is_iterative():
    x = nerve.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**10_000] * 2, rtol=1e-3)


def test_long_chain_of_mixed_ops_matches_torch():
    x, t = nerve.tensor([0.3], requires_grad=True), torch.tensor([0.3], requires_grad=True)
    y, ty = x, t
    for i in range(3000):
        y, ty = (y + 0.001).tanh(), (ty + 0.001).tanh()
        if i % 1000 == 0:
            y, ty = y * x, ty * t  # reuse the leaf deep in the chain
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-4)


def test_diamond_accumulates_both_paths():
    x = nerve.tensor(2.0, requires_grad=True)
    a = x * 3
    y = a * a + a  # dy/dx = (2a + 1) * 3 = 39
    y.backward()
    assert x.grad.item() == pytest.approx(39.0)


def test_broadcast_gradient_is_reduced_to_input_shape():
    a = nerve.ones(3, 1, requires_grad=True)
    b = nerve.ones(4, requires_grad=True)
    c = nerve.tensor(2.0, requires_grad=True)
    ((a + b) * c).sum().backward()
    assert a.grad.shape == (3, 1) and a.grad.tolist() == [[8.0]] * 3
    assert b.grad.shape == (4,) and b.grad.tolist() == [6.0] * 4
    assert c.grad.shape == () and c.grad.item() == 24.0


def test_unbroadcast_sums_leading_and_size1_axes():
    g = np.ones((2, 3, 4))
    assert unbroadcast(g, (3, 1)).tolist() == [[8.0]] * 3
    assert unbroadcast(g, ()).item() == 24.0
    assert unbroadcast(g, (1, 3, 4)).shape == (1, 3, 4)


def test_grad_accumulates_across_backward_calls_until_zeroed():
    x = nerve.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    x.grad.zero_()
    (x * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_grad_is_float_tensor_of_input_dtype():
    for dtype in (nerve.float32, nerve.float64):
        x = nerve.ones(2, dtype=dtype, requires_grad=True)
        (x * 2.5).sum().backward()
        assert isinstance(x.grad, nerve.Tensor)
        assert x.grad.dtype == dtype and not x.grad.requires_grad


def test_leaf_grads_are_separate_arrays():
    a, b = nerve.ones(2, requires_grad=True), nerve.ones(2, requires_grad=True)
    g = nerve.ones(2)
    (a + b).backward(g)
    a.grad.mul_(10)
    assert b.grad.tolist() == [1.0, 1.0] and g.tolist() == [1.0, 1.0]


def test_second_backward_through_freed_graph_raises():
    x = nerve.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    z = (x * x).exp()
    w = z.sum()
    w.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        (z * 2).sum().backward()  # a new root over the freed part


def test_retain_graph_allows_second_backward():
    x = nerve.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_graph_is_freed_after_backward():
    x = nerve.ones(1000, requires_grad=True)
    a = x.exp()
    ref = weakref.ref(a._data)
    y = (a * a).sum()  # Mul saves a's array
    del a
    gc.collect()
    assert ref() is not None
    y.backward()
    gc.collect()
    assert ref() is None


def test_backward_on_non_scalar_needs_gradient():
    y = nerve.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward()
    y.backward(nerve.tensor([1.0, -1.0]))
    with pytest.raises(RuntimeError, match="shape"):
        (nerve.ones(2, requires_grad=True) * 2).backward(nerve.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        nerve.ones(2).sum().backward()
    x = nerve.ones(2, requires_grad=True)
    with nerve.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_backward_on_a_leaf_sets_its_own_grad():
    x = nerve.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_only_one_output_of_a_multi_output_op_used():
    x = nerve.arange(6.0).requires_grad_()
    a, b, c = x.split(2)
    (b * 3).sum().backward()
    assert x.grad.tolist() == [0, 0, 3, 3, 0, 0]


def test_intermediate_used_by_two_outputs_of_split():
    x = nerve.arange(4.0).requires_grad_()
    h = x * 2
    a, b = h.chunk(2)
    (a * b).sum().backward()
    t = torch.arange(4.0).requires_grad_()
    ta, tb = (t * 2).chunk(2)
    (ta * tb).sum().backward()
    assert x.grad.tolist() == t.grad.tolist()


def test_inputs_that_do_not_require_grad_get_none():
    x = nerve.ones(2, requires_grad=True)
    c = nerve.ones(2)
    (x * c).sum().backward()
    assert c.grad is None and x.grad is not None


def test_toposort_puts_users_before_producers():
    x = nerve.ones(2, requires_grad=True)
    a = x * 2
    b = a + 1
    c = (a * b).sum()
    order = toposort(c.grad_fn)
    pos = {id(fn): i for i, fn in enumerate(order)}
    assert pos[id(c.grad_fn)] < pos[id(b.grad_fn)] < pos[id(a.grad_fn)]


def test_hooks_see_and_may_replace_the_gradient():
    x = nerve.ones(2, requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]] and x.grad.tolist() == [30.0, 30.0]
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_autograd_grad_returns_gradients_without_touching_grad():
    x = nerve.tensor([1.0, 2.0], requires_grad=True)
    x.grad = nerve.tensor([5.0, 5.0])
    (gx,) = nerve.autograd.grad((x * x).sum(), [x])
    assert gx.tolist() == [2.0, 4.0] and x.grad.tolist() == [5.0, 5.0]


def test_grad_fn_and_is_leaf():
    x = nerve.ones(2, requires_grad=True)
    y = x * 2
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and "Mul" in y.grad_fn.name()
    assert nerve.ones(2).is_leaf


def _three_layer(lib, seed=0):
    g = np.random.default_rng(seed)
    ws = [lib.tensor(g.standard_normal((4, 4)), requires_grad=True) for _ in range(3)]
    x = lib.tensor(g.standard_normal((2, 4)))
    return ws, x


@pytest.mark.parametrize("lib", [nerve, torch])
def test_post_accumulate_hooks_fire_as_each_leaf_is_final(lib):
    ws, x = _three_layer(lib)
    seen = []
    for i, w in enumerate(ws):  # when a hook fires, has the middle layer a gradient yet?
        w.register_post_accumulate_grad_hook(
            lambda t, i=i: seen.append((i, ws[1].grad is not None))
        )
    y = x
    for w in ws:
        y = (y @ w).tanh()
    (y @ ws[0]).sum().backward()  # ws[0] is used first and last: final only at the end
    assert seen == [(2, False), (1, True), (0, True)]


@pytest.mark.parametrize("lib", [nerve, torch])
def test_post_accumulate_hook_sees_the_sum_over_every_use(lib):
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    got = []
    w.register_post_accumulate_grad_hook(lambda t: got.append(t.grad.tolist()))
    (w * 3 + w * w).sum().backward()
    assert got == [[5.0, 7.0]]


def test_queue_callback_runs_once_after_every_hook():
    from nerve.autograd.engine import queue_callback

    with pytest.raises(RuntimeError, match="only be installed during backward"):
        queue_callback(lambda: None)
    ws, x = _three_layer(nerve)
    order = []
    ws[2].register_post_accumulate_grad_hook(
        lambda t: (
            order.append("hook2"),
            queue_callback(lambda: order.append(("end", ws[0].grad is not None))),
        )
    )
    ws[0].register_post_accumulate_grad_hook(lambda t: order.append("hook0"))
    y = x
    for w in ws:
        y = y @ w
    y.sum().backward(retain_graph=True)
    assert order == ["hook2", "hook0", ("end", True)]
    order.clear()
    y.sum().backward()
    assert order == ["hook2", "hook0", ("end", True)]  # queued anew, not left over


def test_queue_callback_is_dropped_when_backward_fails():
    from nerve.autograd import engine

    w = nerve.tensor([1.0], requires_grad=True)
    ran = []

    def boom(t):
        engine.queue_callback(lambda: ran.append(1))
        raise ValueError("hook failed")

    w.register_post_accumulate_grad_hook(boom)
    with pytest.raises(ValueError, match="hook failed"):
        (w * 2).sum().backward()
    assert ran == [] and engine._final_callbacks == [] and engine._depth[0] == 0
