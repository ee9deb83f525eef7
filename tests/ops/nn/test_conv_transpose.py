import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, all_functions, table_tests

import nerve
from nerve.ops.nn import conv_transpose
from nerve.ops.nn.conv_transpose import conv_transpose1d, conv_transpose2d


def _case(name, x, w, bias=True, groups=1, **kw):
    inputs = [x, w] + ([(w[1] * groups,)] if bias else [])
    one_d = len(w) == 3
    fn, tfn = (
        (conv_transpose1d, TF.conv_transpose1d)
        if one_d
        else (conv_transpose2d, TF.conv_transpose2d)
    )
    return Case(
        f"ConvTranspose/{'1d_' if one_d else ''}{name}",
        lambda *a: fn(*a, groups=groups, **kw),
        lambda *a: tfn(*a, groups=groups, **kw),
        inputs,
        rtol=1e-4,
        atol=1e-4,
    )


CASES = [
    _case("basic", (2, 3, 4, 5), (3, 2, 3, 3)),
    _case("stride2_pad1", (2, 2, 4, 4), (2, 3, 3, 3), stride=2, padding=1),
    _case(
        "output_padding",
        (2, 2, 3, 4),
        (2, 3, 3, 2),
        stride=(2, 3),
        padding=(1, 0),
        output_padding=(1, 2),
    ),
    _case("dilation", (1, 2, 4, 3), (2, 2, 3, 2), dilation=(2, 3), padding=1),
    _case("output_padding_lt_dilation", (1, 2, 3, 3), (2, 3, 3, 3), dilation=2, output_padding=1),
    _case("groups", (2, 4, 3, 4), (4, 3, 3, 3), groups=2, stride=2, bias=False),
    _case("depthwise", (2, 3, 4, 4), (3, 1, 2, 2), groups=3, stride=2),
    _case("kernel_eq_stride", (2, 3, 3, 2), (3, 4, 2, 2), stride=2),
    _case("1x1", (2, 5, 3, 3), (5, 2, 1, 1)),
    _case("batch1_size1", (1, 1, 1, 1), (1, 1, 1, 1)),
    _case("unbatched", (2, 3, 4), (2, 3, 3, 3), padding=1),
    _case("big_padding", (1, 2, 5, 5), (2, 2, 3, 3), padding=2),
    Case(
        "ConvTranspose/noncontig",
        lambda x, w: conv_transpose2d(x.transpose(2, 3), w, stride=2),
        lambda x, w: TF.conv_transpose2d(x.transpose(2, 3), w, stride=2),
        [(2, 2, 3, 4), (2, 3, 3, 3)],
        atol=1e-4,
    ),
    _case("basic", (2, 3, 6), (3, 4, 3)),
    _case(
        "stride_pad_dil", (2, 2, 5), (2, 3, 3), stride=3, padding=2, dilation=2, output_padding=1
    ),
    _case("groups", (2, 4, 5), (4, 1, 4), groups=2, stride=2, bias=False),
    _case("unbatched", (3, 5), (3, 2, 2)),
]


table_tests(CASES)


def test_every_function_has_a_case():
    assert all_functions(conv_transpose) == {"ConvTranspose"}


@pytest.mark.parametrize("seed", range(10))
def test_random_configurations_against_torch(seed):
    rng = np.random.default_rng(seed)
    groups = int(rng.choice([1, 2, 3]))
    cin, cout = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
    kh, kw = (int(v) for v in rng.integers(1, 5, 2))
    stride = tuple(int(v) for v in rng.integers(1, 4, 2))
    dilation = tuple(int(v) for v in rng.integers(1, 3, 2))
    padding = tuple(int(v) for v in rng.integers(0, 2, 2))
    out_pad = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
    x = rng.standard_normal((2, cin, 5, 4)).astype(np.float32)
    w = rng.standard_normal((cin, cout // groups, kh, kw)).astype(np.float32)
    b = rng.standard_normal(cout).astype(np.float32)
    kw_ = dict(
        stride=stride, padding=padding, output_padding=out_pad, groups=groups, dilation=dilation
    )
    y = conv_transpose2d(nerve.tensor(x), nerve.tensor(w), nerve.tensor(b), **kw_)
    yt = TF.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kw_)
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-4, atol=1e-4)


def test_is_the_adjoint_of_conv():
    rng = np.random.default_rng(0)
    x = nerve.tensor(rng.standard_normal((2, 3, 7, 6)))
    w = nerve.tensor(rng.standard_normal((4, 3, 3, 2)))
    y = nerve.nn.functional.conv2d(x, w, stride=2, padding=1)
    v = nerve.tensor(rng.standard_normal(y.shape))
    xt = conv_transpose2d(v, w, stride=2, padding=1)
    assert xt.shape == x.shape
    np.testing.assert_allclose((y * v).sum().item(), (x * xt).sum().item(), rtol=1e-10)


def test_dtype_is_kept():
    x, w = nerve.randn(1, 2, 3, 3), nerve.randn(2, 2, 2, 2)
    assert conv_transpose2d(x, w).dtype == nerve.float32
    assert conv_transpose2d(x.double(), w.double()).dtype == nerve.float64


def test_bad_arguments():
    x, w = nerve.randn(1, 2, 3, 3), nerve.randn(2, 3, 3, 3)
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        conv_transpose2d(x, w, output_padding=1)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        conv_transpose2d(x, w, padding=5)
    with pytest.raises(RuntimeError, match="expected input.*to have 3 channels"):
        conv_transpose2d(x, nerve.randn(3, 3, 3, 3))
    with pytest.raises(RuntimeError, match="expected 3D .* or 4D"):
        conv_transpose2d(nerve.randn(2, 3), w)
    with pytest.raises(RuntimeError, match="bias of shape"):
        conv_transpose2d(x, w, nerve.randn(2))
    with pytest.raises(RuntimeError, match="groups"):
        conv_transpose2d(x, w, groups=3)
    with pytest.raises(RuntimeError, match="Input type"):
        conv_transpose2d(x.double(), w)
