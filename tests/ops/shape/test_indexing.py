import numpy as np
import pytest
import torch
from opcheck import Case, Const, table_tests

import nerve

rng = np.random.default_rng(0)
MASK = rng.standard_normal((3, 4)) > 0
ROWS = np.array([2, 0, 2, 1])  # a repeated index: gradients must add up
GATHER1 = rng.integers(0, 4, (3, 5))  # dim 1 of a (3, 4) input, more columns than input
GATHER0 = rng.integers(0, 3, (2, 4))  # dim 0, fewer rows than input


def _idx(a):
    return nerve.from_numpy(a)


def _tidx(a):
    return torch.from_numpy(a)


CASES = [
    Case("GetItem/int", lambda x: x[1], lambda x: x[1], [(3, 4)]),
    Case("GetItem/negint", lambda x: x[-1, -2], lambda x: x[-1, -2], [(3, 4)]),
    Case("GetItem/slice", lambda x: x[1:, ::2], lambda x: x[1:, ::2], [(3, 4)]),
    Case(
        "GetItem/none_ellipsis", lambda x: x[None, ..., 0], lambda x: x[None, ..., 0], [(2, 3, 4)]
    ),
    Case("GetItem/list", lambda x: x[[0, 2, 2]], lambda x: x[[0, 2, 2]], [(3, 4)]),
    Case("GetItem/int_tensor", lambda x: x[_idx(ROWS)], lambda x: x[_tidx(ROWS)], [(3, 4)]),
    Case(
        "GetItem/two_arrays",
        lambda x: x[_idx(ROWS), _idx(ROWS)],
        lambda x: x[_tidx(ROWS), _tidx(ROWS)],
        [(3, 4)],
    ),
    Case(
        "GetItem/slice_and_array",
        lambda x: x[:, _idx(ROWS[:2])],
        lambda x: x[:, _tidx(ROWS[:2])],
        [(3, 4)],
    ),
    Case("GetItem/mask", lambda x: x[_idx(MASK)], lambda x: x[_tidx(MASK)], [(3, 4)]),
    Case(
        "GetItem/row_mask", lambda x: x[_idx(MASK[:, 0])], lambda x: x[_tidx(MASK[:, 0])], [(3, 4)]
    ),
    Case("GetItem/noncontig", lambda x: x.T[1:3], lambda x: x.T[1:3], [(3, 4)]),
    Case("GetItem/0d_result", lambda x: x[0, 0], lambda x: x[0, 0], [(1, 1)]),
    Case(
        "Gather/dim1",
        lambda x, i: nerve.gather(x, 1, i),
        lambda x, i: torch.gather(x, 1, i),
        [(3, 4), Const(GATHER1)],
    ),
    Case(
        "Gather/dim0",
        lambda x, i: x.gather(0, i),
        lambda x, i: x.gather(0, i),
        [(3, 4), Const(GATHER0)],
    ),
    Case(
        "Gather/negdim",
        lambda x, i: x.gather(-1, i),
        lambda x, i: x.gather(-1, i),
        [(3, 4), Const(GATHER1)],
    ),
    Case(
        "IndexSelect/dim0",
        lambda x, i: nerve.index_select(x, 0, i),
        lambda x, i: torch.index_select(x, 0, i),
        [(3, 4), Const(ROWS)],
    ),
    Case(
        "IndexSelect/dim1",
        lambda x, i: x.index_select(1, i),
        lambda x, i: x.index_select(1, i),
        [(2, 3, 4), Const(ROWS)],
    ),
    Case(
        "Where/masked_fill",
        lambda x: x.masked_fill(_idx(MASK), -1.0),
        lambda x: x.masked_fill(_tidx(MASK), -1.0),
        [(3, 4)],
    ),
]


table_tests(CASES)


def test_index_out_of_range_raises_index_error():
    x = nerve.zeros(3, 4)
    with pytest.raises(IndexError, match=r"\(3, 4\)"):
        x[3]
    with pytest.raises(IndexError):
        x[:, -5]
    with pytest.raises(IndexError):
        x[nerve.tensor([0, 7])]
    with pytest.raises(IndexError):
        x[nerve.tensor([True, False])]


def test_float_index_raises_index_error():
    with pytest.raises(IndexError, match="long"):
        nerve.zeros(3)[nerve.tensor([1.0])]


def test_index_select_out_of_range_and_bad_dtype():
    x = nerve.zeros(3, 4)
    with pytest.raises(IndexError, match="out of range"):
        x.index_select(0, nerve.tensor([3]))
    with pytest.raises(RuntimeError, match="int64"):
        x.index_select(0, nerve.tensor([1.0]))
    with pytest.raises(IndexError):
        x.index_select(2, nerve.tensor([0]))


def test_gather_shape_and_bounds_errors():
    x = nerve.zeros(3, 4)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(1, nerve.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="out of bounds"):
        x.gather(1, nerve.tensor([[0], [4], [1]]))
    with pytest.raises(RuntimeError, match="int64"):
        x.gather(1, nerve.tensor([[0.0]]))


def test_masked_fill_requires_bool_mask():
    with pytest.raises(RuntimeError, match="bool"):
        nerve.zeros(2).masked_fill(nerve.tensor([1, 0]), 1.0)


def test_setitem_on_plain_tensor_and_leaf_under_no_grad():
    x = nerve.zeros(2, 3)
    x[0, 1:] = 5.0
    x[nerve.tensor([False, True])] = nerve.tensor([1.0, 2.0, 3.0])
    assert x.tolist() == [[0, 5, 5], [1, 2, 3]]
    w = nerve.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 1.0
    with nerve.no_grad():
        w[0] = 1.0
    assert w.tolist() == [1.0, 0.0] and w.requires_grad and w.is_leaf


def test_indexing_gradient_accumulates_repeats():
    x = nerve.ones(3, requires_grad=True)
    x[[0, 0, 0, 2]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_gather_negative_index_raises_like_torch():
    with pytest.raises(RuntimeError, match="-1"):
        nerve.ones(2, 2).gather(1, nerve.tensor([[-1], [0]]))
