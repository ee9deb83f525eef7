"""interpolate(mode='bicubic'): by size and by scale_factor, align_corners both ways,
up- and down-sampling, edge clamping, against torch and finite differences."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
from nerve.ops.nn.upsample import interpolate


def _cubic(name, shape, **kw):
    return Case(
        f"UpsampleCubic/{name}",
        lambda x: interpolate(x, mode="bicubic", **kw),
        lambda x: TF.interpolate(x, mode="bicubic", **kw),
        [shape],
    )


CASES = [
    _cubic("x2", (2, 3, 3, 4), scale_factor=2),
    _cubic("x2_align", (2, 3, 3, 4), scale_factor=2, align_corners=True),
    _cubic("size", (1, 2, 4, 5), size=(7, 3)),
    _cubic("size_align", (1, 2, 4, 5), size=(7, 3), align_corners=True),
    _cubic("down", (1, 2, 7, 6), size=(3, 2)),
    _cubic("fractional", (1, 2, 5, 4), scale_factor=(1.7, 0.6)),
    _cubic("recompute", (1, 2, 5, 4), scale_factor=1.3, recompute_scale_factor=True),
    _cubic("same_size", (1, 2, 3, 5), size=(3, 5)),
    _cubic("from_1x1", (2, 1, 1, 1), size=(3, 2)),
    _cubic("to_1x1_align", (1, 2, 3, 4), size=1, align_corners=True),
    Case(
        "UpsampleCubic/noncontig",
        lambda x: interpolate(x.transpose(2, 3), scale_factor=2, mode="bicubic"),
        lambda x: TF.interpolate(x.transpose(2, 3), scale_factor=2, mode="bicubic"),
        [(1, 2, 4, 3)],
    ),
]


table_tests(CASES)


@pytest.mark.parametrize("align_corners", [False, True])
def test_float64_and_float32(align_corners):
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 6))
    kw = dict(scale_factor=2.3, mode="bicubic", align_corners=align_corners)
    np.testing.assert_allclose(
        interpolate(nerve.tensor(x), **kw).numpy(),
        TF.interpolate(torch.tensor(x), **kw).numpy(),
        atol=1e-13,
    )
    y = interpolate(nerve.tensor(x.astype(np.float32)), **kw)
    assert y.dtype == nerve.float32


def test_needs_4d_input():
    with pytest.raises(NotImplementedError, match="bicubic"):
        interpolate(nerve.randn(1, 2, 5), scale_factor=2, mode="bicubic")
    with pytest.raises(NotImplementedError):
        TF.interpolate(torch.randn(1, 2, 5), scale_factor=2, mode="bicubic")


def test_upsample_layer():
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 5)).astype(np.float32)
    m = nerve.nn.Upsample(scale_factor=1.5, mode="bicubic")
    tm = torch.nn.Upsample(scale_factor=1.5, mode="bicubic")
    assert repr(m) == repr(tm)
    np.testing.assert_allclose(
        m(nerve.tensor(x)).numpy(), tm(torch.tensor(x)).numpy(), rtol=1e-5, atol=1e-5
    )
