import numpy as np
import pytest
import torch
from opcheck import Case, table_tests

import nerve

rng = np.random.default_rng(0)
# distinct values, so that the order (and the gradient) is unique
DISTINCT = rng.permutation(24).reshape(4, 6) * 0.37 - 4.0
ROW = rng.permutation(40) * 0.1 - 2.0  # long enough for topk's partition path


def both(fn):
    """Values and indices of a namedtuple result."""
    return lambda *xs: tuple(fn(*xs))


CASES = [
    Case("Sort/last", both(lambda x: x.sort()), both(lambda x: x.sort()), [DISTINCT]),
    Case(
        "Sort/dim0_desc",
        both(lambda x: nerve.sort(x, 0, descending=True)),
        both(lambda x: torch.sort(x, 0, descending=True)),
        [DISTINCT],
    ),
    Case("Sort/3d", both(lambda x: x.sort(1)), both(lambda x: x.sort(1)), [(2, 5, 3)]),
    Case("Sort/0d", both(lambda x: x.sort()), both(lambda x: x.sort()), [()]),
    Case(
        "Sort/noncontig",
        both(lambda x: x.T.sort(stable=True)),
        both(lambda x: x.T.sort(stable=True)),
        [DISTINCT],
    ),
    Case("Sort/msort", nerve.msort, torch.msort, [DISTINCT]),
    Case("TopK/largest", both(lambda x: x.topk(3)), both(lambda x: x.topk(3)), [DISTINCT]),
    Case(
        "TopK/smallest_dim0",
        both(lambda x: nerve.topk(x, 2, dim=0, largest=False)),
        both(lambda x: torch.topk(x, 2, dim=0, largest=False)),
        [DISTINCT],
    ),
    Case("TopK/partition", both(lambda x: x.topk(5)), both(lambda x: x.topk(5)), [ROW]),
    Case(
        "TopK/partition_smallest",
        both(lambda x: x.topk(4, largest=False)),
        both(lambda x: x.topk(4, largest=False)),
        [ROW],
    ),
    Case("TopK/all", both(lambda x: x.topk(6)), both(lambda x: x.topk(6)), [DISTINCT]),
    Case("KthValue/last", both(lambda x: x.kthvalue(2)), both(lambda x: x.kthvalue(2)), [DISTINCT]),
    Case(
        "KthValue/dim0_keepdim",
        both(lambda x: nerve.kthvalue(x, 3, 0, keepdim=True)),
        both(lambda x: torch.kthvalue(x, 3, 0, keepdim=True)),
        [DISTINCT],
    ),
]


table_tests(CASES)


def test_results_are_namedtuples_with_int64_indices():
    x = nerve.from_numpy(DISTINCT.astype(np.float32))
    for res in (x.sort(), x.topk(2), x.kthvalue(1)):
        values, indices = res
        assert values is res.values and indices is res.indices
        assert indices.dtype == nerve.int64 and values.dtype == nerve.float32
    assert type(x.sort()).__name__ == "sort" and type(x.topk(1)).__name__ == "topk"


@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_keeps_ties_in_order_like_torch(descending):
    a = np.array([[2, 1, 2, 1, 3, 2, np.nan, 1]], np.float32)
    got = nerve.from_numpy(a).sort(descending=descending, stable=True)
    want = torch.from_numpy(a).sort(descending=descending, stable=True)
    np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
    np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())


def test_argsort_matches_torch_and_sorts_integers():
    a = rng.integers(0, 100, (3, 7))  # may hold ties, compare the sorted values
    got = nerve.from_numpy(a).argsort(dim=1, descending=True)
    want = torch.from_numpy(a).argsort(dim=1, descending=True, stable=True)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    np.testing.assert_array_equal(
        nerve.argsort(nerve.from_numpy(DISTINCT)).numpy(),
        torch.argsort(torch.from_numpy(DISTINCT)).numpy(),
    )
    assert nerve.from_numpy(a).sort().values.dtype == nerve.int64


def test_topk_k_out_of_range_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="topk"):
        nerve.ones(2, 3).topk(4)
    with pytest.raises(RuntimeError, match="kthvalue"):
        nerve.ones(3).kthvalue(0)
    with pytest.raises(IndexError):
        nerve.ones(3).sort(dim=1)


def test_topk_zero_gives_empty():
    v, i = nerve.ones(2, 3).topk(0)
    assert tuple(v.shape) == (2, 0) and tuple(i.shape) == (2, 0)
