import numpy as np
import pytest
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
from nerve.ops.nn.upsample import interpolate


def _case(name, shape, **kw):
    return Case(
        f"UpsampleNearest/{name}",
        lambda x: interpolate(x, **kw),
        lambda x: TF.interpolate(x, **kw),
        [shape],
    )


CASES = [
    _case("x2", (2, 3, 3, 4), scale_factor=2),
    _case("size_uneven", (1, 2, 3, 5), size=(7, 4)),
    _case("downsample", (1, 2, 6, 5), size=(4, 2)),
    _case("fractional_scale", (1, 2, 5, 4), scale_factor=(1.7, 2.5)),
    _case("1d", (2, 3, 5), scale_factor=3),
    _case("1d_size", (2, 3, 5), size=8),
    _case("recompute", (1, 1, 5, 3), scale_factor=1.3, recompute_scale_factor=True),
]


table_tests(CASES)


def test_bad_arguments():
    x = nerve.randn(1, 1, 3, 3)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        interpolate(x)
    with pytest.raises(NotImplementedError, match="trilinear"):
        interpolate(x, scale_factor=2, mode="trilinear")
    np.testing.assert_array_equal(interpolate(x, scale_factor=1).numpy(), x.numpy())
