"""interpolate on (N, C, D, H, W) input: nearest, nearest-exact, trilinear (align_corners
both ways) and area, by size and by scale_factor, against torch and finite differences;
nn.Upsample on 5-D input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
from nerve.ops.nn.upsample import interpolate


def _case(prefix, name, shape, **kw):
    return Case(
        f"{prefix}/3d_{name}",
        lambda x: interpolate(x, **kw),
        lambda x: TF.interpolate(x, **kw),
        [shape],
    )


CASES = [
    _case("UpsampleNearest", "x2", (2, 2, 2, 3, 2), scale_factor=2),
    _case("UpsampleNearest", "size", (1, 2, 4, 3, 5), size=(3, 5, 2)),
    # (PyTorch's 3-D nearest backward ignores scale_factor, e.g. 2.05 on a size-3 axis, so
    # its gradient is not the adjoint of its forward there; these scales agree in both)
    _case("UpsampleNearest", "fractional", (1, 2, 3, 5, 4), scale_factor=(1.7, 1.0, 1.3)),
    _case("UpsampleNearest", "exact", (1, 2, 3, 4, 5), size=(5, 3, 7), mode="nearest-exact"),
    _case("UpsampleLinear", "trilinear", (1, 2, 3, 4, 2), scale_factor=1.5, mode="trilinear"),
    _case(
        "UpsampleLinear",
        "trilinear_align",
        (1, 2, 3, 2, 4),
        size=(4, 3, 5),
        mode="trilinear",
        align_corners=True,
    ),
    _case("UpsampleLinear", "trilinear_down", (1, 1, 5, 6, 4), size=(2, 3, 3), mode="trilinear"),
    _case("area", "area", (1, 2, 4, 6, 5), size=(2, 3, 4), mode="area"),
]


table_tests(CASES)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "trilinear", "area"])
def test_float64_and_the_upsample_layer(mode):
    x = np.random.default_rng(0).standard_normal((2, 2, 3, 4, 5))
    m, tm = (
        nerve.nn.Upsample(scale_factor=1.7, mode=mode),
        torch.nn.Upsample(scale_factor=1.7, mode=mode),
    )
    assert repr(m) == repr(tm)
    y = m(nerve.tensor(x))
    assert y.dtype == nerve.float64
    np.testing.assert_allclose(y.numpy(), tm(torch.tensor(x)).numpy(), atol=1e-12)
    y32 = m(nerve.tensor(x.astype(np.float32)))
    assert y32.dtype == nerve.float32


def test_errors_like_torch():
    x = nerve.randn(1, 1, 2, 3, 4, 5)
    with pytest.raises(NotImplementedError, match="Only 3D, 4D and 5D"):
        interpolate(x, scale_factor=2)
    with pytest.raises(NotImplementedError, match="trilinear mode needs 5D"):
        interpolate(nerve.randn(1, 1, 4, 5), scale_factor=2, mode="trilinear")
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        interpolate(nerve.randn(1, 1, 4, 5, 3), size=(2, 3))
