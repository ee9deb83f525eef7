"""rms_norm: float64 finite differences and PyTorch on the same inputs, and PyTorch's errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
import nerve.nn.functional as F


def _rms(shape, **kw):
    return (
        lambda x, *w: F.rms_norm(x, shape, *w, **kw),
        lambda x, *w: TF.rms_norm(x, shape, *w, **kw),
    )


CASES = [
    Case("RMSNorm/last", *_rms((4,)), [(3, 4), (4,)]),
    Case("RMSNorm/list_shape", *_rms([4]), [(2, 3, 4), (4,)]),
    Case("RMSNorm/two_axes", *_rms((3, 4)), [(2, 3, 4), (3, 4)]),
    Case("RMSNorm/no_weight", *_rms((5,)), [(2, 3, 5)]),
    Case("RMSNorm/eps", *_rms((4,), eps=0.5), [(3, 4), (4,)]),
    Case("RMSNorm/1d", *_rms((6,)), [(6,), (6,)]),
]


table_tests(CASES, float64=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_default_eps_is_the_dtype_epsilon(dtype):
    x = np.full((2, 3), 1e-4, dtype)  # mean(x²) comparable to eps, so eps shows
    y = F.rms_norm(nerve.tensor(x), (3,)).numpy()
    ty = TF.rms_norm(torch.from_numpy(x), (3,)).numpy()
    assert y.dtype == dtype
    np.testing.assert_allclose(y, ty, rtol=1e-6)
    np.testing.assert_array_equal(F.rms_norm(nerve.zeros(2, 3), (3,)).numpy(), 0)


@pytest.mark.parametrize(
    "shape,norm,wshape,exc",
    [
        ((2, 3), (4,), None, RuntimeError),
        ((2, 4), (4,), (3,), RuntimeError),
        ((2, 4), (), None, RuntimeError),
        ((4,), (2, 4), None, ValueError),
        ((2, 4), 4, None, TypeError),
    ],
)
def test_errors_like_torch(shape, norm, wshape, exc):
    x = np.ones(shape, np.float32)
    w = None if wshape is None else np.ones(wshape, np.float32)
    with pytest.raises(exc):
        TF.rms_norm(torch.from_numpy(x), norm, None if w is None else torch.from_numpy(w))
    with pytest.raises(exc, match="rms_norm"):
        F.rms_norm(nerve.tensor(x), norm, None if w is None else nerve.tensor(w))
