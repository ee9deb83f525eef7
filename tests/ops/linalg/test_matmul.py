import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from opcheck import Case, table_tests

import nerve


def _mm(a, b):
    return a @ b


CASES = [
    Case("MatMul/2d", _mm, _mm, [(3, 4), (4, 5)]),
    Case("MatMul/1d_1d", _mm, _mm, [(4,), (4,)]),
    Case("MatMul/1d_2d", _mm, _mm, [(4,), (4, 3)]),
    Case("MatMul/2d_1d", _mm, _mm, [(3, 4), (4,)]),
    Case("MatMul/1d_3d", _mm, _mm, [(4,), (2, 4, 3)]),
    Case("MatMul/3d_1d", _mm, _mm, [(2, 3, 4), (4,)]),
    Case("MatMul/batched", _mm, _mm, [(2, 3, 4), (2, 4, 5)]),
    Case("MatMul/broadcast_batch", _mm, _mm, [(2, 1, 3, 4), (5, 4, 2)]),
    Case("MatMul/3d_2d", _mm, _mm, [(2, 3, 4), (4, 2)]),
    Case("MatMul/2d_3d", _mm, _mm, [(3, 4), (2, 4, 2)]),
    Case("MatMul/batch_of_1", _mm, _mm, [(1, 1, 4), (1, 4, 1)]),
    Case("MatMul/noncontig", lambda a, b: a.T @ b.T, lambda a, b: a.T @ b.T, [(4, 3), (2, 4)]),
    Case("MatMul/fn", nerve.matmul, torch.matmul, [(2, 3), (3, 2)]),
    Case("MatMul/mm", nerve.mm, torch.mm, [(2, 3), (3, 4)]),
    Case("MatMul/bmm", nerve.bmm, torch.bmm, [(2, 2, 3), (2, 3, 4)]),
    Case("MatMul/dot", nerve.dot, torch.dot, [(5,), (5,)]),
    Case("Mul/outer", nerve.outer, torch.outer, [(3,), (4,)]),
]


table_tests(CASES)


@settings(max_examples=25, deadline=None)
@given(
    batch_a=st.lists(st.sampled_from([1, 2, 3]), max_size=2),
    batch_b=st.lists(st.sampled_from([1, 2, 3]), max_size=2),
    n=st.integers(1, 3),
    k=st.integers(1, 3),
    m=st.integers(1, 3),
)
def test_random_broadcast_batches_against_torch(batch_a, batch_b, n, k, m):
    try:
        np.broadcast_shapes(tuple(batch_a), tuple(batch_b))
    except ValueError:
        return
    g = np.random.default_rng(0)
    a = g.standard_normal((*batch_a, n, k)).astype(np.float32)
    b = g.standard_normal((*batch_b, k, m)).astype(np.float32)
    x, y = nerve.tensor(a, requires_grad=True), nerve.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, tout = x @ y, tx @ ty
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-5)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_matmul_shape_mismatch_names_op_and_both_shapes():
    with pytest.raises(RuntimeError, match=r"matmul.*\(2, 3\).*\(2, 3\)"):
        nerve.ones(2, 3) @ nerve.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"matmul.*\(3,\).*\(4,\)"):
        nerve.ones(3) @ nerve.ones(4)


def test_matmul_batch_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"matmul.*\(2, 3, 4\).*\(3, 4, 2\)"):
        nerve.ones(2, 3, 4) @ nerve.ones(3, 4, 2)


def test_matmul_of_0d_raises():
    with pytest.raises(RuntimeError, match="1D"):
        nerve.tensor(2.0) @ nerve.ones(2)


def test_mm_bmm_dot_check_ranks():
    with pytest.raises(RuntimeError, match="mm"):
        nerve.mm(nerve.ones(2, 3, 4), nerve.ones(4, 2))
    with pytest.raises(RuntimeError, match="bmm"):
        nerve.bmm(nerve.ones(2, 3), nerve.ones(3, 2))
    with pytest.raises(RuntimeError, match="bmm"):
        nerve.bmm(nerve.ones(2, 3, 4), nerve.ones(3, 4, 2))
    with pytest.raises(RuntimeError, match="dot"):
        nerve.dot(nerve.ones(2, 2), nerve.ones(2))


def test_matmul_keeps_float32():
    assert (nerve.ones(2, 3) @ nerve.ones(3)).dtype == nerve.float32


def test_numpy_array_on_the_left_uses_tensor_rmatmul():
    b = nerve.ones(3, 2, requires_grad=True)
    y = np.full((2, 3), 2.0, dtype=np.float32) @ b
    assert isinstance(y, nerve.Tensor) and y.shape == (2, 2)
    y.sum().backward()
    assert b.grad.tolist() == [[4.0, 4.0]] * 3
