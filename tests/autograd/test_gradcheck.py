import numpy as np
import pytest

import nerve
from nerve.autograd import GradcheckError, gradcheck
from nerve.autograd.function import Function


class WrongSquare(Function):
    """y = x², with a backward that forgets the factor 2 (a deliberate bug)."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, dy):
        return dy * self.x


class RightSquare(WrongSquare):
    def backward(self, dy):
        return 2 * dy * self.x


def _x(shape=(3, 2)):
    return nerve.randn(*shape, dtype=nerve.float64, requires_grad=True)


def test_gradcheck_passes_for_correct_gradients():
    assert gradcheck(RightSquare.apply, [_x()])
    assert gradcheck(lambda a, b: (a @ b).tanh(), [_x((2, 3)), _x((3, 2))])


def test_gradcheck_is_reachable_from_nerve_autograd():
    assert nerve.autograd.gradcheck(lambda a: a.exp(), [_x()])


def test_gradcheck_catches_a_wrong_gradient():
    with pytest.raises(GradcheckError, match="mismatch for input 0"):
        gradcheck(WrongSquare.apply, [_x()])
    assert gradcheck(WrongSquare.apply, [_x()], raise_exception=False) is False
    assert issubclass(GradcheckError, RuntimeError)


def test_gradcheck_catches_a_wrong_gradient_of_the_second_input():
    def fn(a, b):
        return a + WrongSquare.apply(b)

    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(fn, [_x(), _x()])


def test_gradcheck_catches_a_missing_gradient():
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: a.detach() * a.detach() + a, [_x()])


def test_gradcheck_needs_float64():
    x = nerve.randn(3, requires_grad=True)
    with pytest.raises(GradcheckError, match="float64"):
        gradcheck(lambda a: a * 2, [x])


def test_gradcheck_ignores_inputs_without_grad_and_multiple_outputs():
    const = nerve.randn(3, 2, dtype=nerve.float64)
    assert gradcheck(lambda a, c: (a * c, a.sum()), [_x(), const])
    assert gradcheck(lambda a: a.split(1), [_x((3,))])


def test_gradcheck_leaves_input_values_unchanged():
    x = _x()
    before = x.detach().numpy().copy()
    gradcheck(lambda a: a.sin(), [x])
    np.testing.assert_array_equal(x.detach().numpy(), before)


def test_gradcheck_perturbs_non_contiguous_inputs():
    base = np.random.default_rng(0).standard_normal((3, 4))
    x = nerve.from_numpy(base.T).requires_grad_()  # a transposed, non-contiguous leaf
    assert not x.is_contiguous()
    assert gradcheck(lambda a: a * a, [x])
    with pytest.raises(GradcheckError):
        gradcheck(WrongSquare.apply, [x])


def test_gradcheck_keeps_existing_grad():
    x = _x()
    x.grad = nerve.ones(3, 2, dtype=nerve.float64)
    gradcheck(lambda a: a * 3, [x])
    assert x.grad.tolist() == [[1.0, 1.0]] * 3
