import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from opcheck import Case, table_tests

import nerve

rng = np.random.default_rng(0)
TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]])
ZEROS = np.array([[1.5, 0.0, 2.0], [0.0, 0.0, -1.0], [0.5, -2.0, 1.2]])  # products with 0s

CASES = [
    Case("Sum/all", lambda x: x.sum(), lambda x: x.sum(), [(3, 4)]),
    Case("Sum/dim", lambda x: x.sum(1), lambda x: x.sum(1), [(2, 3, 4)]),
    Case(
        "Sum/dims_keepdim",
        lambda x: x.sum((0, 2), keepdim=True),
        lambda x: x.sum((0, 2), keepdim=True),
        [(2, 3, 4)],
    ),
    Case("Sum/negdim", lambda x: nerve.sum(x, -1), lambda x: torch.sum(x, -1), [(2, 3)]),
    Case("Sum/0d", lambda x: x.sum(), lambda x: x.sum(), [()]),
    Case("Sum/size1", lambda x: x.sum(0), lambda x: x.sum(0), [(1, 3)]),
    Case("Sum/noncontig", lambda x: x.T.sum(0), lambda x: x.T.sum(0), [(3, 4)]),
    Case("Mean/all", lambda x: x.mean(), lambda x: x.mean(), [(3, 4)]),
    Case("Mean/dims", lambda x: x.mean((0, -1)), lambda x: x.mean((0, -1)), [(2, 3, 4)]),
    Case(
        "Mean/keepdim",
        lambda x: nerve.mean(x, 1, keepdim=True),
        lambda x: torch.mean(x, 1, keepdim=True),
        [(2, 3)],
    ),
    Case("Var/all", lambda x: x.var(), lambda x: x.var(), [(3, 4)]),
    Case("Var/dim", lambda x: x.var(1), lambda x: x.var(1), [(3, 4)]),
    Case(
        "Var/biased_keepdim",
        lambda x: x.var(0, unbiased=False, keepdim=True),
        lambda x: x.var(0, unbiased=False, keepdim=True),
        [(3, 4)],
    ),
    Case(
        "Var/correction",
        lambda x: nerve.var(x, (0, 1), correction=0),
        lambda x: torch.var(x, (0, 1), correction=0),
        [(2, 3, 2)],
    ),
    Case("Var/std", lambda x: x.std(1), lambda x: x.std(1), [(3, 5)]),
    Case("Var/std_all", lambda x: nerve.std(x), lambda x: torch.std(x), [(4, 2)]),
    Case("Amax/all", lambda x: x.max(), lambda x: x.max(), [(3, 4)]),
    Case("Amax/ties", lambda x: x.max(), lambda x: x.max(), [TIES], gradcheck=False),
    Case(
        "Amax/amax_dims",
        lambda x: nerve.amax(x, (0, 2)),
        lambda x: torch.amax(x, (0, 2)),
        [(2, 3, 4)],
    ),
    Case("Amax/amax_ties", lambda x: x.amax(1), lambda x: x.amax(1), [TIES], gradcheck=False),
    Case("Amin/all", lambda x: x.min(), lambda x: x.min(), [(3, 4)]),
    Case(
        "Amin/amin_keepdim",
        lambda x: x.amin(0, keepdim=True),
        lambda x: x.amin(0, keepdim=True),
        [(3, 4)],
    ),
    Case("MaxDim/dim", lambda x: x.max(1), lambda x: x.max(1), [(3, 4)]),
    Case(
        "MaxDim/keepdim",
        lambda x: nerve.max(x, 0, keepdim=True),
        lambda x: torch.max(x, 0, keepdim=True),
        [(3, 4)],
    ),
    Case("MaxDim/negdim3d", lambda x: x.max(-1), lambda x: x.max(-1), [(2, 3, 4)]),
    Case("MaxDim/0d", lambda x: x.max(0), lambda x: x.max(0), [()]),
    Case("MinDim/dim", lambda x: x.min(0), lambda x: x.min(0), [(3, 4)]),
    Case(
        "MinDim/keepdim",
        lambda x: x.min(1, keepdim=True),
        lambda x: x.min(1, keepdim=True),
        [(2, 3, 4)],
    ),
    Case("Prod/all", lambda x: x.prod(), lambda x: x.prod(), [(2, 3)]),
    Case("Prod/dim", lambda x: x.prod(1), lambda x: x.prod(1), [(2, 3, 4)]),
    Case(
        "Prod/keepdim",
        lambda x: x.prod(0, keepdim=True),
        lambda x: x.prod(0, keepdim=True),
        [(3, 2)],
    ),
    Case("Prod/zeros_dim", lambda x: x.prod(1), lambda x: x.prod(1), [ZEROS]),
    Case("Prod/zeros_all", lambda x: x.prod(), lambda x: x.prod(), [ZEROS[:1]]),
    Case(
        "LogSumExp/dim", lambda x: nerve.logsumexp(x, 1), lambda x: torch.logsumexp(x, 1), [(3, 4)]
    ),
    Case(
        "LogSumExp/dims_keepdim",
        lambda x: x.logsumexp((0, 2), keepdim=True),
        lambda x: x.logsumexp((0, 2), keepdim=True),
        [(2, 3, 4)],
    ),
    Case(
        "LogSumExp/large",
        lambda x: nerve.logsumexp(x * 1000, 0),
        lambda x: torch.logsumexp(x * 1000, 0),
        [(4, 2)],
        rtol=1e-4,
        atol=1e-3,
        gradcheck=False,
    ),
]


table_tests(CASES)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_random_dims_against_torch(shape, data):
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
    keepdim = data.draw(st.booleans())
    x = np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32)
    for op in ("sum", "mean", "amax", "logsumexp"):
        a = nerve.tensor(x, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        y, ty = (
            getattr(a, op)(tuple(dims), keepdim=keepdim),
            getattr(b, op)(tuple(dims), keepdim=keepdim),
        )
        assert y.shape == tuple(ty.shape)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_max_with_dim_is_a_namedtuple_of_values_and_indices():
    x = nerve.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    out = x.max(dim=1)
    values, indices = out
    assert out.values is values and out.indices is indices
    assert values.tolist() == [5.0, 7.0]
    assert indices.tolist() == [1, 0] and indices.dtype == nerve.int64
    assert nerve.min(x, 0).indices.tolist() == [0, 1, 0]


def test_max_without_dim_shares_gradient_among_ties():
    x = nerve.tensor([1.0, 3.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 1 / 3, 1 / 3, 1 / 3])


def test_max_with_dim_sends_gradient_to_one_index():
    x = nerve.tensor([[3.0, 3.0]], requires_grad=True)
    t = torch.tensor([[3.0, 3.0]], requires_grad=True)
    x.max(1).values.sum().backward()
    t.max(1).values.sum().backward()
    assert x.grad.numpy().sum() == 1.0
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_max_with_other_tensor_is_elementwise():
    a, b = nerve.tensor([1.0, 4.0]), nerve.tensor([3.0, 2.0])
    assert nerve.max(a, b).tolist() == [3.0, 4.0]
    assert nerve.min(a, b).tolist() == [1.0, 2.0]


def test_var_std_default_unbiased():
    x = nerve.tensor([1.0, 2.0, 4.0])
    assert x.var().item() == pytest.approx(7 / 3)
    assert x.std().item() == pytest.approx((7 / 3) ** 0.5)
    assert x.var(unbiased=False).item() == pytest.approx(14 / 9)
    assert x.std().dtype == nerve.float32


def test_var_of_single_element_is_nan():
    assert np.isnan(nerve.tensor([2.0]).var().item())


def test_sum_of_int_and_bool_gives_int64():
    assert nerve.tensor([1, 2], dtype=nerve.int32).sum().dtype == nerve.int64
    b = nerve.tensor([True, False, True]).sum()
    assert b.dtype == nerve.int64 and b.item() == 2
    assert nerve.tensor([True, True]).prod().dtype == nerve.int64


def test_sum_dtype_argument():
    assert nerve.tensor([1, 2]).sum(dtype=nerve.float64).dtype == nerve.float64


def test_mean_of_int_raises():
    with pytest.raises(RuntimeError, match="mean"):
        nerve.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).mean()


def test_reduce_dim_out_of_range_raises_index_error():
    x = nerve.ones(2, 3)
    for fn in (
        lambda: x.sum(2),
        lambda: x.mean(-3),
        lambda: x.max(5),
        lambda: x.var(2),
        lambda: x.logsumexp(3),
        lambda: x.argmax(2),
        lambda: x.prod(2),
    ):
        with pytest.raises(IndexError, match="out of range"):
            fn()


def test_repeated_dim_raises():
    with pytest.raises(RuntimeError, match="multiple"):
        nerve.ones(2, 3).sum((0, 0))


def test_prod_rejects_tuple_dim_like_torch():
    with pytest.raises(TypeError):
        nerve.ones(2, 3).prod((0, 1))


def test_max_of_empty_raises():
    with pytest.raises(RuntimeError):
        nerve.zeros(0).max()


def test_logsumexp_is_stable_and_handles_all_minus_inf():
    x = nerve.tensor([1000.0, 1000.0])
    assert nerve.logsumexp(x, 0).item() == pytest.approx(1000 + np.log(2))
    y = nerve.logsumexp(nerve.tensor([-np.inf, -np.inf]), 0)
    assert y.item() == -np.inf


def test_argmax_argmin_no_grad_and_int64():
    x = nerve.tensor([[1.0, 9.0], [8.0, 2.0]], requires_grad=True)
    for fn, tfn in ((nerve.argmax, torch.argmax), (nerve.argmin, torch.argmin)):
        i = fn(x, 1)
        assert i.dtype == nerve.int64 and not i.requires_grad
        assert i.tolist() == tfn(torch.tensor(x.detach().numpy()), 1).tolist()
    assert x.argmax().item() == 1 and x.argmax(0, keepdim=True).shape == (1, 2)
