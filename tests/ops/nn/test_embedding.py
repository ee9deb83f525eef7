"""The embedding lookup: finite differences and torch.nn.functional.embedding."""

import numpy as np
import pytest
import torch.nn.functional as TF
from opcheck import Case, Const, table_tests

import nerve
import nerve.nn.functional as F

IDX = Const(np.array([[0, 2, 2], [4, 2, 1]], dtype=np.int64))
REPEATS = Const(np.random.default_rng(0).integers(0, 5, 200).astype(np.int64))

# The padding row is used in the output but by definition gets no gradient, so finite
# differences disagree there: those rows are checked against torch only.
CASES = [
    Case(
        "EmbeddingFn/2d-index",
        lambda w, i: F.embedding(i, w),
        lambda w, i: TF.embedding(i, w),
        [(5, 3), IDX],
    ),
    Case(
        "EmbeddingFn/padding",
        lambda w, i: F.embedding(i, w, padding_idx=2),
        lambda w, i: TF.embedding(i, w, padding_idx=2),
        [(5, 3), IDX],
        gradcheck=False,
    ),
    Case(
        "EmbeddingFn/negative-padding",
        lambda w, i: F.embedding(i, w, padding_idx=-1),
        lambda w, i: TF.embedding(i, w, padding_idx=-1),
        [(5, 3), IDX],
        gradcheck=False,
    ),
    Case(
        "EmbeddingFn/many-repeats",
        lambda w, i: F.embedding(i, w),
        lambda w, i: TF.embedding(i, w),
        [(5, 4), REPEATS],
    ),
    Case(
        "EmbeddingFn/scalar-index",
        lambda w, i: F.embedding(i, w),
        lambda w, i: TF.embedding(i, w),
        [(5, 2), Const(np.array(3))],
    ),
    Case(
        "EmbeddingFn/int32-index",
        lambda w, i: F.embedding(i, w),
        lambda w, i: TF.embedding(i, w),
        [(5, 2), Const(np.array([1, 1, 0], np.int32))],
    ),
]


table_tests(CASES)


def test_out_of_range_index_is_index_error():
    with pytest.raises(IndexError, match="out of range"):
        F.embedding(nerve.tensor([5]), nerve.randn(5, 2))


def test_float_index_is_type_error():
    with pytest.raises((TypeError, RuntimeError), match="integer"):
        F.embedding(nerve.tensor([1.0]), nerve.randn(5, 2))


def test_unused_rows_get_zero_gradient():
    w = nerve.randn(6, 3, requires_grad=True)
    F.embedding(nerve.tensor([1, 1, 4]), w).sum().backward()
    g = w.grad.numpy()
    np.testing.assert_array_equal(g[[0, 2, 3, 5]], 0)
    np.testing.assert_array_equal(g[1], 2)
