"""3-D (volumetric) convolution and transposed convolution: the N-d Conv and ConvTranspose
ops with three spatial dims, against finite differences and torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, check_torch, table_tests

import nerve
from nerve.ops.nn.conv import conv3d
from nerve.ops.nn.conv_transpose import conv_transpose3d


def _case(name, x, w, bias=True, **kw):
    inputs = [x, w] + ([(w[0],)] if bias else [])
    return Case(
        f"Conv/3d_{name}",
        lambda *a: conv3d(*a, **kw),
        lambda *a: TF.conv3d(*a, **kw),
        inputs,
        rtol=1e-4,
        atol=1e-4,
    )


def _tcase(name, x, w, bias=True, **kw):
    inputs = [x, w] + ([(w[1] * kw.get("groups", 1),)] if bias else [])
    return Case(
        f"ConvTranspose/3d_{name}",
        lambda *a: conv_transpose3d(*a, **kw),
        lambda *a: TF.conv_transpose3d(*a, **kw),
        inputs,
        rtol=1e-4,
        atol=1e-4,
    )


CASES = [
    # few input channels: the K-major columns with the bias row
    _case("basic", (2, 3, 4, 5, 4), (4, 3, 3, 2, 3)),
    _case("nobias", (2, 2, 4, 4, 3), (3, 2, 2, 2, 2), bias=False),
    # more than 4 input channels: row-major im2col, col2im backward (stride 2)
    _case(
        "stride_pad_tuple", (2, 5, 5, 6, 5), (3, 5, 3, 2, 3), stride=(2, 1, 2), padding=(1, 0, 2)
    ),
    _case("dilation", (1, 5, 6, 5, 6), (2, 5, 2, 3, 2), dilation=(2, 1, 2), padding=1),
    _case("groups", (2, 6, 4, 4, 4), (4, 3, 3, 3, 3), groups=2, padding=1),
    _case("depthwise", (1, 3, 5, 4, 5), (3, 1, 3, 3, 3), groups=3, stride=2, padding=1),
    _case("same_even_kernel", (1, 5, 4, 5, 4), (3, 5, 2, 3, 4), padding="same"),
    _case("valid", (1, 2, 4, 4, 4), (2, 2, 3, 3, 3), padding="valid"),
    _case("1x1x1", (2, 6, 3, 2, 3), (4, 6, 1, 1, 1)),
    _case("unbatched", (2, 4, 5, 4), (3, 2, 3, 3, 3), padding=1),
    # stride 1, C_in ≥ C_out: ∂L/∂x as a convolution of the padded δ
    _case("stride1_as_conv", (2, 6, 4, 5, 4), (3, 6, 3, 2, 3), padding=(1, 0, 1)),
    _case("pad_gt_kernel", (1, 6, 3, 3, 4), (2, 6, 2, 2, 2), padding=(2, 1, 3)),
    _tcase("basic", (2, 3, 3, 4, 2), (3, 4, 3, 2, 3)),
    _tcase(
        "stride_pad_outpad_groups",
        (2, 4, 3, 3, 4),
        (4, 3, 3, 3, 2),
        groups=2,
        padding=1,
        stride=(2, 1, 2),
        output_padding=(1, 0, 1),
    ),
    _tcase(
        "dilation_nobias",
        (1, 2, 3, 3, 3),
        (2, 2, 2, 3, 2),
        bias=False,
        dilation=(2, 1, 1),
        stride=2,
    ),
    _tcase("unbatched", (3, 2, 3, 2), (3, 2, 2, 2, 2), stride=2),
]


table_tests(CASES)


@pytest.mark.parametrize("seed", range(6))
def test_random_configurations_against_torch(seed):
    rng = np.random.default_rng(seed)
    groups = int(rng.choice([1, 2]))
    cin, cout = groups * int(rng.integers(1, 5)), groups * int(rng.integers(1, 4))
    k = tuple(int(v) for v in rng.integers(1, 4, 3))
    stride = tuple(int(v) for v in rng.integers(1, 3, 3))
    dilation = tuple(int(v) for v in rng.integers(1, 3, 3))
    padding = tuple(int(v) for v in rng.integers(0, 2, 3))
    size = tuple(d * (kk - 1) + 1 + int(rng.integers(0, 3)) for d, kk in zip(dilation, k))
    case = _case(
        f"random{seed}",
        (int(rng.integers(1, 3)), cin, *size),
        (cout, cin // groups, *k),
        bias=bool(rng.integers(0, 2)),
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
    )
    check_torch(case)


def test_float32_in_float32_out():
    x = nerve.randn(2, 3, 4, 4, 4, requires_grad=True)
    w = nerve.randn(5, 3, 3, 3, 3, requires_grad=True)
    y = conv3d(x, w, padding=1)
    assert y.dtype == nerve.float32 and y.shape == (2, 5, 4, 4, 4)
    y.sum().backward()
    assert isinstance(w.grad, nerve.Tensor) and w.grad.dtype == nerve.float32
    t = conv_transpose3d(x, nerve.randn(3, 2, 2, 2, 2), stride=2)
    assert t.dtype == nerve.float32 and t.shape == (2, 2, 8, 8, 8)


def test_bad_input():
    with pytest.raises(RuntimeError, match=r"conv3d: expected 4D \(unbatched\) or 5D"):
        conv3d(nerve.randn(3, 4, 4), nerve.randn(2, 3, 3, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv3d: expected a weight of 5 dimensions .*kD, kH"):
        conv3d(nerve.randn(1, 3, 4, 4, 4), nerve.randn(2, 3, 3, 3))
    with pytest.raises(RuntimeError, match="to have 3 channels, but got 4"):
        conv3d(nerve.randn(1, 4, 4, 4, 4), nerve.randn(2, 3, 3, 3, 3))
    with pytest.raises(RuntimeError, match="conv3d: kernel size 5 is larger"):
        conv3d(nerve.randn(1, 1, 4, 6, 6), nerve.randn(1, 1, 5, 5, 5))
    with pytest.raises(RuntimeError, match="conv_transpose3d: Given transposed=1"):
        conv_transpose3d(nerve.randn(1, 4, 2, 2, 2), nerve.randn(3, 2, 2, 2, 2))
    for fn, w in (
        (TF.conv3d, torch.randn(2, 3, 3, 3, 3)),
        (TF.conv_transpose3d, torch.randn(3, 2, 2, 2, 2)),
    ):
        with pytest.raises(RuntimeError):  # torch raises the same type
            fn(torch.randn(1, 4, 4, 4, 4), w)
