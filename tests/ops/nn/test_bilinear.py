"""F.bilinear: finite differences and torch.nn.functional.bilinear, shape errors."""

import numpy as np
import pytest
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
import nerve.nn.functional as F

CASES = [
    Case("BilinearFn/batch", F.bilinear, TF.bilinear, [(5, 3), (5, 4), (2, 3, 4), (2,)]),
    Case("BilinearFn/no-bias", F.bilinear, TF.bilinear, [(5, 3), (5, 4), (2, 3, 4)]),
    Case(
        "BilinearFn/leading-dims", F.bilinear, TF.bilinear, [(2, 3, 3), (2, 3, 2), (4, 3, 2), (4,)]
    ),
    Case("BilinearFn/unbatched", F.bilinear, TF.bilinear, [(3,), (2,), (4, 3, 2), (4,)]),
    Case("BilinearFn/size-one", F.bilinear, TF.bilinear, [(1, 1), (1, 1), (1, 1, 1), (1,)]),
]


table_tests(CASES)


@pytest.mark.parametrize(
    "shapes, match",
    [
        (((5, 2), (4, 3), (4,)), "batch dimensions do not match at dim 0: got 5 and 4"),
        (((5, 3), (5, 3), (4,)), "input1 size does not match weight size: got 3 but expected 2"),
        (((5, 2), (5, 2), (4,)), "input2 size does not match weight size: got 2 but expected 3"),
        (((5, 2), (5, 3), (3,)), "bias size does not match weight size: got 3 but expected 4"),
    ],
)
def test_shape_errors_like_torch(shapes, match):
    a, b, bias = (nerve.randn(*s) for s in shapes)
    with pytest.raises(RuntimeError, match=match):
        F.bilinear(a, b, nerve.randn(4, 2, 3), bias)


def test_mixed_dtypes_are_refused_like_torch():
    import torch

    for args in (
        (np.float64, np.float32, np.float32, None),
        (np.float32, np.float32, np.float32, np.float64),
    ):
        a = [
            np.ones(s, t) if t is not None else None
            for s, t in zip(((2, 3), (2, 4), (5, 3, 4), (5,)), args)
        ]
        with pytest.raises(RuntimeError, match="same dtype"):
            torch.nn.functional.bilinear(*[None if v is None else torch.from_numpy(v) for v in a])
        with pytest.raises(RuntimeError, match="same dtype"):
            nerve.nn.functional.bilinear(*[None if v is None else nerve.from_numpy(v) for v in a])
