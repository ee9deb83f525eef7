import numpy as np
import pytest
import torch
from opcheck import Case, table_tests

import nerve


def eq(equation):
    """The same einsum in both frameworks."""
    return (lambda *xs: nerve.einsum(equation, *xs)), (lambda *xs: torch.einsum(equation, *xs))


def case(name, equation, shapes, **kw):
    fn, tfn = eq(equation)
    return Case(f"Einsum/{name}", fn, tfn, shapes, **kw)


CASES = [
    case("matmul", "ij,jk->ik", [(3, 4), (4, 5)]),
    case("bmm", "bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    case("implicit", "ij,jk", [(3, 4), (4, 2)]),
    case("implicit_sorted", "ba", [(3, 4)]),
    case("transpose", "ij->ji", [(3, 4)]),
    case("sum_all", "ij->", [(3, 4)]),
    case("row_sum", "ij->i", [(3, 4)]),
    case("outer", "i,j->ij", [(3,), (4,)]),
    case("dot", "i,i->", [(5,), (5,)]),
    case("hadamard", "ij,ij->ij", [(3, 4), (3, 4)]),
    case("three", "ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    case("summed_alone", "ij,k->i", [(3, 4), (2,)]),
    case("ellipsis", "...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    case("ellipsis_broadcast", "...ij,...jk->...ik", [(2, 1, 3, 4), (3, 4, 2)]),
    case("ellipsis_implicit", "...j,j", [(2, 3, 4), (4,)]),
    case("bilinear", "bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    case("spaces", "i j , j k -> i k", [(2, 3), (3, 2)]),
    case("uppercase", "Ab,bC->AC", [(2, 3), (3, 4)]),
    case("size1_broadcast", "ij,ij->ij", [(1, 4), (3, 4)]),
    # operands above 4096 entries take NumPy's BLAS path (checked by torch only: size)
    case(
        "large_blas_path",
        "bij,jk->bik",
        [(2, 40, 60), (60, 70)],
        gradcheck=False,
        rtol=1e-3,
        atol=1e-4,
    ),
    Case(
        "Einsum/list",
        lambda a, b: nerve.einsum("ij,jk", [a, b]),
        lambda a, b: torch.einsum("ij,jk", [a, b]),
        [(2, 3), (3, 2)],
    ),
]


table_tests(CASES)


def test_trace_and_diagonal_forward_match_torch_without_grad():
    a = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
    for equation in ("ii->", "ii->i", "ii"):
        got = nerve.einsum(equation, nerve.from_numpy(a)).numpy()
        np.testing.assert_allclose(
            got, torch.einsum(equation, torch.from_numpy(a)).numpy(), rtol=1e-6
        )


def test_repeated_index_gradient_raises_not_implemented():
    x = nerve.ones(3, 3, requires_grad=True)
    y = nerve.einsum("ii->", x)
    with pytest.raises(NotImplementedError, match="einsum.*repeats an index"):
        y.backward()


def test_bad_equations_are_reported():
    a = nerve.ones(2, 3)
    with pytest.raises(ValueError, match="einsum.*operand"):
        nerve.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="number of subscripts"):
        nerve.einsum("ijk->i", a)
    with pytest.raises(RuntimeError, match="einsum"):
        nerve.einsum("ij,jk->ik", a, nerve.ones(4, 2))
    with pytest.raises(RuntimeError, match="dtype"):
        nerve.einsum("ij,jk->ik", a, nerve.ones(3, 2, dtype=nerve.float64))


def test_float32_in_float32_out():
    y = nerve.einsum("ij,jk->ik", nerve.ones(2, 3), nerve.ones(3, 4))
    assert y.dtype == nerve.float32
