import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, Const, table_tests

import nerve
import nerve.nn.functional as F

rng = np.random.default_rng(0)
# scatter writes: distinct places per column (dim 0) so that the result is defined
UNIQUE0 = np.stack([rng.permutation(4)[:2] for _ in range(3)], axis=1).astype(np.int64)
REPEAT1 = rng.integers(0, 5, (3, 6)).astype(np.int64)  # repeated places add up
INDEX = np.array([0, 2, 2, 4, 1], np.int64)


def _t(a):
    return (nerve.from_numpy(a), torch.from_numpy(a))


def _on(a, like):
    """The index array as a nerve tensor on ``like``'s device (as a torch program must)."""
    return nerve.tensor(a, device=like.device)


CASES = [
    Case(
        "Scatter/src",
        lambda x, s: x.scatter(0, _on(UNIQUE0, x), s),
        lambda x, s: x.scatter(0, _t(UNIQUE0)[1], s),
        [(4, 3), (2, 3)],
    ),
    Case(
        "Scatter/big_src",
        lambda x, s: nerve.scatter(x, 0, _on(UNIQUE0, x), s),
        # torch's own backward rejects a src larger than the index; it uses only this corner
        lambda x, s: torch.scatter(x, 0, _t(UNIQUE0)[1], s[:2, :3]),
        [(4, 3), (3, 5)],
    ),
    Case(
        "Scatter/value",
        lambda x: x.scatter(0, _on(UNIQUE0, x), 2.5),
        lambda x: x.scatter(0, _t(UNIQUE0)[1], 2.5),
        [(4, 3)],
    ),
    Case(
        "Scatter/value_kw",
        lambda x: nerve.scatter(x, -2, _on(UNIQUE0, x), value=-1.0),
        lambda x: torch.scatter(x, -2, _t(UNIQUE0)[1], value=-1.0),
        [(4, 3)],
    ),
    Case(
        "ScatterAdd/dim1",
        lambda x, s: x.scatter_add(1, _on(REPEAT1, x), s),
        lambda x, s: x.scatter_add(1, _t(REPEAT1)[1], s),
        [(3, 5), (3, 6)],
    ),
    Case(
        "ScatterAdd/reduce",
        lambda x, s: x.scatter(1, _on(REPEAT1, x), s, reduce="add"),
        # torch's deprecated reduce= has no derivative; its value is scatter_add's
        lambda x, s: x.scatter_add(1, _t(REPEAT1)[1], s),
        [(3, 5), (3, 6)],
    ),
    Case(
        "ScatterAdd/3d",
        lambda x, s: nerve.scatter_add(x, 2, _on(REPEAT1[None], x), s),
        lambda x, s: torch.scatter_add(x, 2, _t(REPEAT1[None])[1], s),
        [(2, 3, 5), (1, 3, 6)],
    ),
    Case(
        "IndexAdd/dim0",
        lambda x, s: x.index_add(0, _on(INDEX, x), s),
        lambda x, s: x.index_add(0, _t(INDEX)[1], s),
        [(5, 3), (5, 3)],
    ),
    Case(
        "IndexAdd/dim1_alpha",
        lambda x, s: nerve.index_add(x, 1, _on(INDEX, x), s, alpha=2.0),
        lambda x, s: torch.index_add(x, 1, _t(INDEX)[1], s, alpha=2.0),
        [(2, 5), (2, 5)],
    ),
    Case("IndexAdd/diag", lambda x: nerve.diag(x, 1), lambda x: torch.diag(x, 1), [(3,)]),
    Case("IndexAdd/diag_neg", lambda x: x.diag(-2), lambda x: x.diag(-2), [(2,)]),
    Case(
        "GetItem/masked_select",
        lambda x, m: x.masked_select(m),
        lambda x, m: x.masked_select(m),
        [(3, 4), Const(rng.standard_normal(4) > 0)],
    ),
]


table_tests(CASES)


def test_inplace_scatters_match_torch():
    base = rng.standard_normal((3, 5)).astype(np.float32)
    src = rng.standard_normal((3, 6)).astype(np.float32)
    x, t = nerve.from_numpy(base.copy()), torch.from_numpy(base.copy())
    assert x.scatter_add_(1, _on(REPEAT1, x), nerve.from_numpy(src)) is x
    t.scatter_add_(1, _t(REPEAT1)[1], torch.from_numpy(src))
    x.scatter_(1, _t(REPEAT1[:, :1])[0], 7.0)
    t.scatter_(1, _t(REPEAT1[:, :1])[1], 7.0)
    x.index_add_(1, _on(INDEX, x), nerve.ones(3, 5))
    t.index_add_(1, _t(INDEX)[1], torch.ones(3, 5))
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6)


def test_inplace_scatter_on_a_leaf_that_requires_grad_is_refused():
    x = nerve.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="scatter_"):
        x.scatter_(0, nerve.tensor([0]), 1.0)


def test_scatter_errors_are_runtime_errors_naming_the_op():
    x = nerve.zeros(3, 4)
    with pytest.raises(RuntimeError, match="scatter.*int64"):
        x.scatter(0, nerve.tensor([[0]]).int(), 1.0)
    with pytest.raises(RuntimeError, match="scatter.*out of bounds"):
        x.scatter(0, nerve.tensor([[3]]), 1.0)
    with pytest.raises(RuntimeError, match="scatter_add.*dtype"):
        x.scatter_add(0, nerve.tensor([[0]]), nerve.ones(1, 1, dtype=nerve.float64))
    with pytest.raises(RuntimeError, match="index_add"):
        x.index_add(0, nerve.tensor([0, 1]), nerve.ones(3, 4))
    with pytest.raises(IndexError):
        x.scatter(2, nerve.tensor([[0]]), 1.0)


def test_one_hot_matches_torch():
    a = np.array([[0, 3], [1, 1]], np.int64)
    got, want = F.one_hot(nerve.from_numpy(a)), TF.one_hot(torch.from_numpy(a))
    assert got.dtype == nerve.int64 and tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    np.testing.assert_array_equal(
        F.one_hot(nerve.from_numpy(a), num_classes=6).numpy(),
        TF.one_hot(torch.from_numpy(a), num_classes=6).numpy(),
    )


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(nerve.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(nerve.tensor([-1, 0]))
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(nerve.tensor([0, 3]), 3)


def test_masked_select_needs_a_bool_mask():
    with pytest.raises(RuntimeError, match="masked_select"):
        nerve.ones(3).masked_select(nerve.tensor([1, 0, 1]))
