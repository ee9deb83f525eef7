import numpy as np
import pytest

import nerve


def test_no_grad_context_records_nothing_and_restores():
    x = nerve.ones(2, requires_grad=True)
    with nerve.no_grad():
        assert not nerve.is_grad_enabled()
        y = x * 2
    assert nerve.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_restores_after_an_exception():
    with pytest.raises(ValueError), nerve.no_grad():
        raise ValueError
    assert nerve.is_grad_enabled()


def test_no_grad_as_decorator():
    @nerve.no_grad()
    def double(t):
        return t * 2

    assert not double(nerve.ones(2, requires_grad=True)).requires_grad
    assert nerve.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = nerve.ones(2, requires_grad=True)
    with nerve.no_grad(), nerve.enable_grad():
        y = x * 2
    assert y.requires_grad


def test_set_grad_enabled_as_function_and_context():
    with nerve.set_grad_enabled(False):
        assert not nerve.is_grad_enabled()
    assert nerve.is_grad_enabled()
    nerve.set_grad_enabled(False)
    try:
        assert not (nerve.ones(1, requires_grad=True) * 2).requires_grad
    finally:
        nerve.set_grad_enabled(True)


def test_detach_shares_memory_and_leaves_graph():
    x = nerve.ones(3, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.numpy(), y.detach().numpy())
    assert x.data.numpy() is x.detach().numpy()


def test_requires_grad_flag_and_method():
    x = nerve.ones(2)
    assert not x.requires_grad
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    assert nerve.tensor([1.0], requires_grad=True).requires_grad


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        nerve.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        nerve.arange(3).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        nerve.zeros(2, dtype=nerve.int64, requires_grad=True)


def test_integer_results_carry_no_gradient():
    x = nerve.tensor([1.5, 2.5], requires_grad=True)
    assert not x.long().requires_grad
    assert not (x > 2).requires_grad
    assert not x.argmax().requires_grad
    assert (x.long() * x).requires_grad  # a float result again


def test_requires_grad_false_on_non_leaf_raises():
    y = nerve.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_sgd_style_update_under_no_grad_keeps_a_leaf():
    w = nerve.ones(3, requires_grad=True)
    (w * w).sum().backward()
    with nerve.no_grad():
        w -= 0.1 * w.grad
        w.add_(1.0)
        w *= 2
        w.clamp_(max=10)
    assert w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.detach().numpy(), [3.6] * 3, rtol=1e-6)
    (w * 1).sum().backward()  # still usable in a graph
    np.testing.assert_allclose(w.grad.numpy(), [3.0] * 3)


def test_in_place_on_leaf_requiring_grad_outside_no_grad_raises():
    w = nerve.ones(3, requires_grad=True)
    for fn in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.zero_(), lambda: w.fill_(1)):
        with pytest.raises(RuntimeError, match="leaf"):
            fn()
    with pytest.raises(RuntimeError, match="leaf"):
        w += 1


def test_augmented_assignment_on_intermediate_stays_differentiable():
    x = nerve.ones(2, requires_grad=True)
    y = x * 3
    y += 1
    y *= x
    y.sum().backward()
    assert x.grad.tolist() == [7.0, 7.0]


def test_in_place_on_plain_tensor_updates_memory():
    x = nerve.zeros(3)
    arr = x.numpy()
    x += 2
    x.mul_(3).sub_(1)
    assert arr.tolist() == [5.0] * 3


def test_in_place_dtype_error_is_runtime_error():
    x = nerve.tensor([1, 2])
    with pytest.raises(RuntimeError, match="add_"):
        x.add_(0.5)
