"""Max unpooling and the *_with_indices max pools: float64 finite differences and PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, Const, table_tests

import nerve
import nerve.nn.functional as F

rng = np.random.default_rng(0)


def _pooled(shape, *args, dims=2):
    x = torch.from_numpy(rng.standard_normal(shape))
    pool = TF.max_pool2d if dims == 2 else TF.max_pool1d
    y, idx = pool(x, *args, return_indices=True)
    return y.numpy(), Const(idx.numpy())


Y2, I2 = _pooled((2, 3, 6, 8), 2)
# overlapping windows can pick one element twice: unpooling writes it once while the
# gradient (a gather, as PyTorch's) reads it twice, so finite differences disagree there
Y2O, I2O = _pooled((2, 2, 7, 7), 3, 2, 1)
Y1, I1 = _pooled((2, 3, 9), 2, dims=1)
Y1O, I1O = _pooled((2, 3, 9), 3, 2, 1, dims=1)
Y3, I3 = _pooled((3, 5, 5), 2)

CASES = [
    Case(
        "MaxUnpool/2d",
        lambda x, i: F.max_unpool2d(x, i, 2),
        lambda x, i: TF.max_unpool2d(x, i, 2),
        [Y2, I2],
    ),
    Case(
        "MaxUnpool/2d_overlap_pad",
        lambda x, i: F.max_unpool2d(x, i, 3, 2, 1),
        lambda x, i: TF.max_unpool2d(x, i, 3, 2, 1),
        [Y2O, I2O],
        gradcheck=False,
    ),
    Case(
        "MaxUnpool/2d_output_size",
        lambda x, i: F.max_unpool2d(x, i, 2, output_size=(5, 5)),
        lambda x, i: TF.max_unpool2d(x, i, 2, output_size=(5, 5)),
        [Y3, I3],
    ),
    Case(
        "MaxUnpool/2d_output_size4",
        lambda x, i: F.max_unpool2d(x, i, 3, 2, 1, output_size=(2, 2, 8, 7)),
        lambda x, i: TF.max_unpool2d(x, i, 3, 2, 1, output_size=(2, 2, 8, 7)),
        [Y2O, I2O],
        gradcheck=False,
    ),
    Case(
        "MaxUnpool/1d",
        lambda x, i: F.max_unpool1d(x, i, 2),
        lambda x, i: TF.max_unpool1d(x, i, 2),
        [Y1, I1],
    ),
    Case(
        "MaxUnpool/1d_output_size",
        lambda x, i: F.max_unpool1d(x, i, 2, output_size=[9]),
        lambda x, i: TF.max_unpool1d(x, i, 2, output_size=[9]),
        [Y1, I1],
    ),
    Case(
        "MaxUnpool/1d_overlap",
        lambda x, i: F.max_unpool1d(x, i, 3, 2, 1, [10]),
        lambda x, i: TF.max_unpool1d(x, i, 3, 2, 1, [10]),
        [Y1O, I1O],
        gradcheck=False,
    ),
    Case(
        "MaxUnpool/roundtrip",
        lambda x: F.max_unpool2d(*F.max_pool2d_with_indices(x, 2), 2),
        lambda x: TF.max_unpool2d(*TF.max_pool2d(x, 2, return_indices=True), 2),
        [(2, 2, 4, 6)],
    ),
]


table_tests(CASES)


@pytest.mark.parametrize(
    "name,args",
    [
        ("max_pool2d_with_indices", ((2, 3, 7, 6), 3, 2, 1)),
        ("max_pool1d_with_indices", ((2, 3, 9), 2)),
        ("adaptive_max_pool2d_with_indices", ((2, 3, 7, 6), (3, 4))),
        ("adaptive_max_pool1d_with_indices", ((2, 3, 9), 4)),
    ],
)
def test_with_indices(name, args):
    x = rng.standard_normal(args[0]).astype(np.float32)
    y, i = getattr(F, name)(nerve.tensor(x), *args[1:])
    ty, ti = getattr(TF, name)(torch.from_numpy(x), *args[1:])
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    assert i.dtype == nerve.int64


def _errors(fn, x, i, *args, **kw):
    try:
        fn(x, i, *args, **kw)
    except Exception as err:  # noqa: BLE001 - comparing the types
        return type(err)
    return None


@pytest.mark.parametrize(
    "idx,kw",
    [
        (I3.value * 10, {}),
        (I3.value.astype(np.float32), {}),
        (I3.value, {"output_size": (9, 9)}),
        (I3.value, {"output_size": (1, 5)}),
        (I3.value, {"output_size": (1, 2, 3)}),
    ],
)
def test_errors_match_torch(idx, kw):
    x = Y3.astype(np.float32)
    theirs = _errors(TF.max_unpool2d, torch.from_numpy(x), torch.from_numpy(idx), 2, **kw)
    ours = _errors(F.max_unpool2d, nerve.tensor(x), nerve.from_numpy(idx), 2, **kw)
    assert theirs is not None and ours is theirs
