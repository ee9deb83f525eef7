import numpy as np
import pytest
import torch
from opcheck import Case, table_tests

import nerve

rng = np.random.default_rng(0)
WITH_ZEROS = rng.standard_normal((3, 5))
WITH_ZEROS[0, 1] = 0.0  # one zero in a row
WITH_ZEROS[1, 2] = WITH_ZEROS[1, 4] = 0.0  # two zeros in a row
WITH_ZEROS[2, 0] = 0.0  # a zero first

CASES = [
    Case("Cumsum/dim0", lambda x: nerve.cumsum(x, 0), lambda x: torch.cumsum(x, 0), [(4, 3)]),
    Case("Cumsum/dim-1", lambda x: x.cumsum(-1), lambda x: x.cumsum(-1), [(2, 3, 4)]),
    Case("Cumsum/0d", lambda x: x.cumsum(0), lambda x: x.cumsum(0), [()]),
    Case("Cumsum/size1", lambda x: x.cumsum(1), lambda x: x.cumsum(1), [(3, 1)]),
    Case("Cumsum/noncontig", lambda x: x.T.cumsum(1), lambda x: x.T.cumsum(1), [(4, 3)]),
    Case(
        "Cumsum/dtype",
        lambda x: x.cumsum(0, dtype=nerve.float64),
        lambda x: x.cumsum(0, dtype=torch.float64),
        [(4,)],
    ),
    Case("Cumprod/dim1", lambda x: nerve.cumprod(x, 1), lambda x: torch.cumprod(x, 1), [(3, 4)]),
    Case("Cumprod/dim0_3d", lambda x: x.cumprod(0), lambda x: x.cumprod(0), [(3, 2, 2)]),
    Case("Cumprod/zeros", lambda x: x.cumprod(1), lambda x: x.cumprod(1), [WITH_ZEROS]),
    Case("Cumprod/zeros_dim0", lambda x: x.cumprod(0), lambda x: x.cumprod(0), [WITH_ZEROS.T]),
    Case("Cumprod/0d", lambda x: x.cumprod(0), lambda x: x.cumprod(0), [()]),
]


table_tests(CASES)


@pytest.mark.parametrize("dtype", [nerve.int32, nerve.bool, nerve.int64])
def test_integer_scans_are_int64(dtype):
    x = nerve.tensor([1, 0, 2, 1]).to(dtype)
    t = torch.tensor([1, 0, 2, 1]).to(
        {nerve.int32: torch.int32, nerve.bool: torch.bool, nerve.int64: torch.int64}[dtype]
    )
    for op in ("cumsum", "cumprod"):
        got, want = getattr(x, op)(0), getattr(t, op)(0)
        assert got.dtype == nerve.int64
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_bad_dim_is_an_index_error():
    with pytest.raises(IndexError, match="cumsum"):
        nerve.ones(2, 3).cumsum(2)
    with pytest.raises(IndexError, match="cumprod"):
        nerve.ones(2).cumprod(-2)


def test_float32_stays_float32():
    assert nerve.ones(3).cumsum(0).dtype == nerve.float32
    assert nerve.ones(3).cumprod(0).dtype == nerve.float32
