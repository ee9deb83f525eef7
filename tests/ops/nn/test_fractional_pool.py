"""Fractional max pooling with PyTorch's own random samples: identical windows, values,
indices and gradients."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, Const, table_tests

import nerve
import nerve.nn.functional as F

rng = np.random.default_rng(0)
S23 = Const(rng.random((2, 3, 2)))


def _case(name, shape, k, samples, out=None, ratio=None, **kw):
    def ours(x):
        s = samples.value.astype(x.dtype.name if hasattr(x.dtype, "name") else "float64")
        return F.fractional_max_pool2d(x, k, out, ratio, True, _random_samples=s)

    def theirs(x):
        s = torch.from_numpy(samples.value).to(x.dtype)
        return TF.fractional_max_pool2d(x, k, out, ratio, True, _random_samples=s)

    return Case(name, ours, theirs, [shape], **kw)


CASES = [
    _case("FractionalMaxPool/size", (2, 3, 9, 11), 3, S23, out=(4, 5)),
    _case("FractionalMaxPool/ratio", (2, 3, 10, 9), 2, S23, ratio=(0.5, 0.5)),
    _case("FractionalMaxPool/rect_kernel", (2, 3, 7, 8), (2, 3), S23, out=(5, 3)),
    _case("FractionalMaxPool/out1", (2, 3, 6, 6), 3, S23, out=1),
    _case("FractionalMaxPool/unbatched", (3, 8, 8), 2, Const(rng.random((1, 3, 2))), out=5),
]


table_tests(CASES)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_indices_match_torch(dtype):
    x = rng.standard_normal((2, 4, 25, 19)).astype(dtype)
    s = rng.random((2, 4, 2)).astype(dtype)
    y, i = F.fractional_max_pool2d(
        nerve.tensor(x), 3, output_ratio=(0.7, 0.6), return_indices=True, _random_samples=s
    )
    ty, ti = TF.fractional_max_pool2d(
        torch.from_numpy(x),
        3,
        output_ratio=(0.7, 0.6),
        return_indices=True,
        _random_samples=torch.from_numpy(s),
    )
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    np.testing.assert_array_equal(y.numpy(), ty.numpy())


def test_random_samples_drawn_when_absent():
    nerve.manual_seed(0)
    y = F.fractional_max_pool2d(nerve.randn(2, 3, 9, 9), 2, output_size=4)
    assert y.shape == (2, 3, 4, 4)


@pytest.mark.parametrize(
    "kw", [dict(output_size=8), dict(output_size=2, _random_samples=np.zeros((1, 2, 2)))]
)
def test_errors_match_torch(kw):
    x = rng.standard_normal((1, 3, 9, 9)).astype(np.float32)
    with pytest.raises(RuntimeError):
        TF.fractional_max_pool2d(
            torch.from_numpy(x),
            3,
            **{k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()},
        )
    with pytest.raises(RuntimeError):
        F.fractional_max_pool2d(nerve.tensor(x), 3, **kw)
    with pytest.raises(ValueError):
        F.fractional_max_pool2d(nerve.tensor(x), 3)
