import numpy as np
import pytest
import torch
from opcheck import Case, Const, table_tests

import nerve

rng = np.random.default_rng(0)
POS = np.abs(rng.standard_normal((3, 4))) + 0.5
COND = Const(rng.standard_normal((3, 4)) > 0)

CASES = [
    Case("Add/same", lambda a, b: a + b, lambda a, b: a + b, [(3, 4), (3, 4)]),
    Case("Add/broadcast", lambda a, b: a + b, lambda a, b: a + b, [(2, 3, 4), (3, 1)]),
    Case("Add/scalar", lambda a: 2.5 + a, lambda a: 2.5 + a, [(3,)]),
    Case("Add/0d", lambda a, b: a + b, lambda a, b: a + b, [(), (2, 2)]),
    Case(
        "Add/alpha",
        lambda a, b: nerve.add(a, b, alpha=2),
        lambda a, b: torch.add(a, b, alpha=2),
        [(3,), (3,)],
    ),
    Case("Sub/broadcast", lambda a, b: a - b, lambda a, b: a - b, [(4, 1), (1, 5)]),
    Case("Sub/rscalar", lambda a: 1 - a, lambda a: 1 - a, [(3, 2)]),
    Case("Mul/broadcast", lambda a, b: a * b, lambda a, b: a * b, [(2, 3, 4), (1, 4)]),
    Case("Mul/size1", lambda a, b: a * b, lambda a, b: a * b, [(1,), (1, 1)]),
    Case("Mul/scalar", lambda a: a * 3.0, lambda a: a * 3.0, [(2, 2)]),
    Case("Mul/noncontig", lambda a, b: a.T * b, lambda a, b: a.T * b, [(4, 3), (3, 4)]),
    Case("Div/broadcast", lambda a, b: a / b, lambda a, b: a / b, [(3, 4), POS[:1]]),
    Case("Div/rscalar", lambda b: 2.0 / b, lambda b: 2.0 / b, [POS]),
    Case("Neg", lambda a: -a, lambda a: -a, [(3, 4)]),
    Case("Pow/scalar", lambda a: a**3, lambda a: a**3, [(3, 4)]),
    Case("Pow/frac", lambda a: a**0.5, lambda a: a**0.5, [POS]),
    Case("Pow/tensor", lambda a, b: a**b, lambda a, b: a**b, [POS, (3, 4)]),
    Case("Pow/rscalar", lambda b: 2.0**b, lambda b: 2.0**b, [(3, 4)]),
    Case("Pow/square", lambda a: nerve.pow(a, 2.0), lambda a: torch.pow(a, 2.0), [(3, 4)]),
    Case("Pow/cube_float", lambda a: nerve.pow(a, 3.0), lambda a: torch.pow(a, 3.0), [(2, 3)]),
    Case("Pow/reciprocal", lambda a: a**-1, lambda a: a**-1, [POS]),
    Case("Exp", nerve.exp, torch.exp, [(3, 4)]),
    Case("Log", nerve.log, torch.log, [POS]),
    Case("Sqrt", nerve.sqrt, torch.sqrt, [POS]),
    Case("Abs", nerve.abs, torch.abs, [(3, 4)]),
    Case("Maximum", nerve.maximum, torch.maximum, [(3, 4), (4,)]),
    Case(
        "Maximum/tie",
        nerve.maximum,
        torch.maximum,
        [np.ones((2, 2)), np.ones((2, 2))],
        gradcheck=False,
    ),
    Case("Minimum", nerve.minimum, torch.minimum, [(3, 4), (3, 1)]),
    Case(
        "Clamp", lambda a: nerve.clamp(a, -0.5, 0.5), lambda a: torch.clamp(a, -0.5, 0.5), [(3, 4)]
    ),
    Case("Clamp/min", lambda a: a.clamp(min=0.1), lambda a: a.clamp(min=0.1), [(3, 4)]),
    Case(
        "Where",
        lambda a, b: nerve.where(nerve.tensor(COND.value, device=a.device), a, b),
        lambda a, b: torch.where(torch.from_numpy(COND.value), a, b),
        [(3, 4), (4,)],
    ),
    Case("Cast", lambda a: a.double() * 2, lambda a: a.double() * 2, [(3,)], gradcheck=False),
    Case("Clone", lambda a: a.clone(), lambda a: a.clone(), [(3,)]),
    Case("Square", nerve.square, torch.square, [(2, 3)]),
]


table_tests(CASES)


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"add.*\(3, 4\).*\(5,\)"):
        nerve.ones(3, 4) + nerve.ones(5)


def test_int_division_gives_float32():
    y = nerve.tensor([1, 2]) / nerve.tensor([2, 4])
    assert y.dtype == nerve.float32


def test_scalar_keeps_float32():
    x = nerve.ones(3)
    assert (x * 2.5).dtype == nerve.float32
    assert (2**x).dtype == nerve.float32


@pytest.mark.parametrize("exponent", [2, 3, 3.0, 0.5, -1, 2.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pow_fast_exponents_agree_with_the_reference(exponent, dtype):
    from nerve.ops.math.power import pow_reference

    a = (np.abs(rng.standard_normal((5, 7))) + 0.2).astype(dtype)
    dy = rng.standard_normal((5, 7)).astype(dtype)
    x = nerve.tensor(a, requires_grad=True)
    y = nerve.pow(x, exponent)
    y.backward(nerve.tensor(dy))
    want_y, want_dx = pow_reference(a, exponent, dy)
    assert y.dtype == nerve.tensor(a).dtype and x.grad.dtype == y.dtype
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(y.detach().numpy(), want_y, rtol=tol)
    np.testing.assert_allclose(x.grad.numpy(), want_dx, rtol=tol)


def test_pow_integer_tensor_small_exponent_stays_integer():
    x = nerve.tensor([1, -2, 3])
    assert (x**3).dtype == nerve.int64 and (x**3).tolist() == [1, -8, 27]
    assert (x**2.0).dtype == nerve.float32
