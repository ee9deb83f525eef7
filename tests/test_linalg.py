"""nerve.linalg against torch.linalg: values, gradients (float64 finite differences and
torch's), dtypes and the errors."""

import math

import numpy as np
import pytest
import torch
from opcheck import Case, table_tests

import nerve

CASES = [
    Case("norm/default", lambda x: nerve.linalg.norm(x), lambda x: torch.linalg.norm(x), [(3, 4)]),
    Case(
        "norm/3d_default",
        lambda x: nerve.linalg.norm(x),
        lambda x: torch.linalg.norm(x),
        [(2, 3, 4)],
    ),
    Case(
        "norm/vector_ord",
        lambda x: nerve.linalg.norm(x, 3),
        lambda x: torch.linalg.norm(x, 3),
        [(5,)],
    ),
    Case(
        "norm/dim_int",
        lambda x: nerve.linalg.norm(x, 1, dim=1, keepdim=True),
        lambda x: torch.linalg.norm(x, 1, dim=1, keepdim=True),
        [(3, 4)],
    ),
    Case(
        "norm/fro",
        lambda x: nerve.linalg.norm(x, "fro"),
        lambda x: torch.linalg.norm(x, "fro"),
        [(3, 4)],
    ),
    Case(
        "norm/matrix_1",
        lambda x: nerve.linalg.norm(x, 1),
        lambda x: torch.linalg.norm(x, 1),
        [(3, 4)],
    ),
    Case(
        "norm/matrix_inf",
        lambda x: nerve.linalg.norm(x, math.inf),
        lambda x: torch.linalg.norm(x, math.inf),
        [(3, 4)],
    ),
    Case(
        "matrix_norm/-1_batched",
        lambda x: nerve.linalg.matrix_norm(x, -1),
        lambda x: torch.linalg.matrix_norm(x, -1),
        [(2, 3, 4)],
    ),
    Case(
        "matrix_norm/-inf_dims",
        lambda x: nerve.linalg.matrix_norm(x, -math.inf, (0, 2)),
        lambda x: torch.linalg.matrix_norm(x, -math.inf, (0, 2)),
        [(3, 2, 4)],
    ),
    Case(
        "matrix_norm/fro_keepdim",
        lambda x: nerve.linalg.matrix_norm(x, keepdim=True),
        lambda x: torch.linalg.matrix_norm(x, keepdim=True),
        [(2, 3, 4)],
    ),
    Case(
        "vector_norm/dims",
        lambda x: nerve.linalg.vector_norm(x, 2, (0, 1)),
        lambda x: torch.linalg.vector_norm(x, 2, (0, 1)),
        [(2, 3, 4)],
    ),
    Case(
        "tensor_norm/fro_dims",
        lambda x: x.norm("fro", dim=(0, 1)),
        lambda x: x.norm("fro", dim=(0, 1)),
        [(2, 3, 4)],
    ),
    Case(
        "tensor_norm/torch_norm",
        lambda x: nerve.norm(x, 3, 1, True),
        lambda x: torch.norm(x, 3, 1, True),
        [(2, 3)],
    ),
]


table_tests(CASES)


def test_matmul_is_exported():
    a, b = nerve.ones(2, 3), nerve.ones(3, 4)
    np.testing.assert_array_equal(nerve.linalg.matmul(a, b).numpy(), np.full((2, 4), 3.0))


def test_svd_norms_are_not_implemented():
    x = nerve.ones(3, 3)
    for ord in ("nuc", 2, -2):
        with pytest.raises(NotImplementedError, match="SVD"):
            nerve.linalg.matrix_norm(x, ord)
    with pytest.raises(NotImplementedError):
        x.norm("nuc")


def test_errors_follow_torch():
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        nerve.linalg.matrix_norm(nerve.ones(3))
    with pytest.raises(RuntimeError, match="1D or 2D"):
        nerve.linalg.norm(nerve.ones(2, 2, 2), 1)
    with pytest.raises(IndexError):
        nerve.linalg.vector_norm(nerve.ones(2, 2), dim=2)


def test_dtype_argument_and_float32():
    x = nerve.ones(2, 3)
    assert nerve.linalg.norm(x).dtype == nerve.float32
    assert nerve.linalg.vector_norm(x, dtype=nerve.float64).dtype == nerve.float64
