"""interpolate beyond 'nearest': linear, bilinear (align_corners True and False),
nearest-exact and area, by size or scale_factor, against torch and finite differences."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, check_gradcheck, table_tests

import nerve
from nerve.ops.nn.upsample import interpolate


def _case(prefix, name, shape, **kw):
    return Case(
        f"{prefix}/{name}",
        lambda x: interpolate(x, **kw),
        lambda x: TF.interpolate(x, **kw),
        [shape],
    )


def _lin(name, shape, **kw):
    return _case("UpsampleLinear", name, shape, **kw)


def _near(name, shape, **kw):
    return _case("UpsampleNearest", name, shape, mode="nearest-exact", **kw)


CASES = [
    _lin("bilinear_x2", (2, 3, 3, 4), mode="bilinear", scale_factor=2),
    _lin("bilinear_x2_align", (2, 3, 3, 4), mode="bilinear", scale_factor=2, align_corners=True),
    _lin("bilinear_size", (1, 2, 4, 5), mode="bilinear", size=(7, 3)),
    _lin("bilinear_size_align", (1, 2, 4, 5), mode="bilinear", size=(7, 3), align_corners=True),
    _lin("bilinear_down", (1, 2, 7, 6), mode="bilinear", size=(3, 2)),
    _lin("bilinear_fractional", (1, 2, 5, 4), mode="bilinear", scale_factor=(1.7, 0.6)),
    _lin(
        "bilinear_recompute",
        (1, 2, 5, 4),
        mode="bilinear",
        scale_factor=1.3,
        recompute_scale_factor=True,
    ),
    _lin("bilinear_to_1x1_align", (1, 2, 3, 4), mode="bilinear", size=1, align_corners=True),
    _lin("bilinear_from_1x1", (2, 1, 1, 1), mode="bilinear", size=(3, 2)),
    # an axis that keeps its size is copied, whatever scale_factor says
    _lin("bilinear_same_size_axis", (1, 2, 3, 5), mode="bilinear", scale_factor=(1.3, 1.5)),
    _lin("linear_same_size", (1, 2, 3), mode="linear", scale_factor=1.1),
    _lin("linear_x3", (2, 3, 5), mode="linear", scale_factor=3),
    _lin("linear_size_align", (2, 3, 5), mode="linear", size=9, align_corners=True),
    _lin("linear_down", (2, 3, 9), mode="linear", scale_factor=0.4),
    Case(
        "UpsampleLinear/noncontig",
        lambda x: interpolate(x.transpose(2, 3), scale_factor=2, mode="bilinear"),
        lambda x: TF.interpolate(x.transpose(2, 3), scale_factor=2, mode="bilinear"),
        [(1, 2, 4, 3)],
    ),
    _near("exact_fractional", (2, 3, 4, 5), scale_factor=1.7),
    _near("exact_size", (1, 2, 7, 5), size=(3, 11)),
    _near("exact_1d", (2, 3, 7), size=4),
    _case("UpsampleNearest", "scale_ignored_at_same_size", (1, 1, 3, 5), scale_factor=1.3),
    _case("UpsampleNearest", "scale_ignored_at_twice", (1, 1, 10, 4), scale_factor=2.05),
    _case("area", "2d", (1, 2, 6, 8), mode="area", size=(3, 5)),
    _case("area", "1d", (1, 2, 7), mode="area", scale_factor=0.5),
]


table_tests(CASES)


@pytest.mark.parametrize("align_corners", [False, True])
def test_float64_matches_torch(align_corners):
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 6))
    kw = dict(scale_factor=2.3, mode="bilinear", align_corners=align_corners)
    np.testing.assert_allclose(
        interpolate(nerve.tensor(x), **kw).numpy(),
        TF.interpolate(torch.tensor(x), **kw).numpy(),
        atol=1e-13,
    )


@pytest.mark.parametrize("n, scale", [(3, 1.3), (10, 2.05)])
def test_1d_nearest_applies_the_scale_at_same_or_twice_the_size(n, scale):
    """PyTorch's 1-D nearest forward applies scale_factor here (its 2-D kernel does not);
    its backward does not, so only the forward is compared (nerve's gradient is the
    forward's adjoint, checked by gradcheck)."""
    x = np.random.default_rng(0).standard_normal((1, 2, n))
    np.testing.assert_array_equal(
        interpolate(nerve.tensor(x), scale_factor=scale).numpy(),
        TF.interpolate(torch.tensor(x), scale_factor=scale).numpy(),
    )
    check_gradcheck(_case("UpsampleNearest", "1d", (1, 2, n), scale_factor=scale))


def test_bilinear_keeps_constants_and_corners():
    x = nerve.tensor(np.arange(12.0).reshape(1, 1, 3, 4))
    y = interpolate(x, size=(5, 7), mode="bilinear", align_corners=True).numpy()[0, 0]
    assert y[0, 0] == 0 and y[-1, -1] == 11 and y[0, -1] == 3 and y[-1, 0] == 8
    ones = interpolate(nerve.ones(1, 1, 3, 4), scale_factor=2.5, mode="bilinear")
    np.testing.assert_allclose(ones.numpy(), 1, atol=1e-6)


def test_bad_arguments():
    x = nerve.randn(1, 1, 3, 3)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D"):
        interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(NotImplementedError, match="Got 3D input, but bilinear mode needs 4D"):
        interpolate(nerve.randn(1, 1, 3), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        interpolate(x, scale_factor=2, mode="nearest-exact", align_corners=True)
    with pytest.raises(NotImplementedError, match="got foo"):
        interpolate(x, scale_factor=2, mode="foo")
    with pytest.raises(NotImplementedError, match="trilinear"):
        interpolate(x, scale_factor=2, mode="trilinear")
    with pytest.raises(NotImplementedError, match="antialias"):
        interpolate(x, scale_factor=2, mode="bilinear", antialias=True)
    with pytest.raises(RuntimeError, match="greater than 0"):
        interpolate(x, size=(0, 2), mode="bilinear")
