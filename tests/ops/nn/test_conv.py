import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, all_functions, check_gradcheck, check_torch, table_tests

import nerve
from nerve.ops.nn import conv, im2col
from nerve.ops.nn.conv import conv1d, conv2d


def _case2d(name, x, w, bias=True, **kw):
    inputs = [x, w] + ([(w[0],)] if bias else [])
    return Case(
        f"Conv/{name}",
        lambda *a: conv2d(*a, **kw),
        lambda *a: TF.conv2d(*a, **kw),
        inputs,
        rtol=1e-4,
        atol=1e-4,
    )


def _case1d(name, x, w, bias=True, **kw):
    inputs = [x, w] + ([(w[0],)] if bias else [])
    return Case(
        f"Conv/1d_{name}",
        lambda *a: conv1d(*a, **kw),
        lambda *a: TF.conv1d(*a, **kw),
        inputs,
        rtol=1e-4,
        atol=1e-4,
    )


CASES = [
    _case2d("basic", (2, 3, 6, 5), (4, 3, 3, 3)),
    _case2d("pad1", (2, 3, 5, 5), (4, 3, 3, 3), padding=1),
    _case2d("stride2_pad_tuple", (2, 2, 7, 8), (3, 2, 3, 2), stride=2, padding=(1, 2)),
    _case2d("stride_tuple_nobias", (1, 2, 7, 9), (3, 2, 2, 3), bias=False, stride=(2, 3)),
    _case2d("dilation", (2, 2, 8, 7), (2, 2, 3, 2), dilation=(2, 3), padding=1),
    _case2d("groups", (2, 4, 5, 6), (6, 2, 3, 3), groups=2, padding=1),
    _case2d("depthwise", (2, 3, 6, 6), (3, 1, 3, 3), groups=3, stride=2, padding=1),
    _case2d("depthwise_x2", (1, 2, 5, 5), (4, 1, 2, 2), groups=2),
    _case2d("same_even_kernel", (2, 2, 5, 6), (3, 2, 2, 4), padding="same", dilation=(1, 2)),
    _case2d("valid", (2, 2, 5, 6), (3, 2, 3, 3), padding="valid"),
    _case2d("1x1", (2, 5, 4, 3), (3, 5, 1, 1)),
    _case2d("kernel_eq_input", (3, 2, 3, 4), (2, 2, 3, 4)),
    _case2d("batch1_size1", (1, 1, 1, 1), (1, 1, 1, 1)),
    _case2d("unbatched", (2, 5, 5), (3, 2, 3, 3), padding=1),
    _case2d("stride_gt_kernel", (2, 2, 9, 9), (2, 2, 2, 2), stride=3, padding=1),
    # stride 1 with padding beyond D(K-1): ∂L/∂x by col2im, not as a convolution of δ
    _case2d("pad_gt_kernel", (2, 2, 4, 5), (3, 2, 3, 2), padding=(3, 2)),
    _case2d("dilated_stride1", (2, 3, 7, 8), (4, 3, 3, 3), bias=False, dilation=2, padding=(2, 3)),
    # as many input channels as output ones: ∂L/∂x as a convolution of the padded δ
    _case2d("stride1_as_conv", (2, 5, 6, 5), (3, 5, 3, 2), padding=(1, 0)),
    _case2d("stride1_as_conv_dilated", (1, 4, 7, 7), (4, 4, 2, 3), dilation=(2, 1), padding="same"),
    Case(
        "Conv/noncontig",
        lambda x, w: conv2d(x.transpose(2, 3), w, padding=1),
        lambda x, w: TF.conv2d(x.transpose(2, 3), w, padding=1),
        [(2, 2, 5, 4), (3, 2, 3, 3)],
        atol=1e-4,
    ),
    _case1d("basic", (2, 3, 9), (4, 3, 3)),
    _case1d("stride_pad_dil", (2, 2, 11), (3, 2, 3), stride=2, padding=2, dilation=2),
    _case1d("groups_same", (2, 4, 7), (4, 2, 4), groups=2, padding="same", bias=False),
    _case1d("unbatched", (3, 8), (2, 3, 2)),
]


table_tests(CASES)


def test_every_function_has_a_case():
    assert all_functions(conv) == {"Conv"}


@pytest.mark.parametrize("seed", range(12))
def test_random_configurations_against_torch(seed):
    rng = np.random.default_rng(seed)
    groups = int(rng.choice([1, 2, 3]))
    cin, cout = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
    kh, kw = (int(v) for v in rng.integers(1, 5, 2))
    stride = tuple(int(v) for v in rng.integers(1, 4, 2))
    dilation = tuple(int(v) for v in rng.integers(1, 3, 2))
    padding = tuple(int(v) for v in rng.integers(0, 3, 2))
    h = dilation[0] * (kh - 1) + 1 + int(rng.integers(0, 6))
    w = dilation[1] * (kw - 1) + 1 + int(rng.integers(0, 6))
    kw_args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    case = _case2d(
        f"random{seed}",
        (int(rng.integers(1, 4)), cin, h, w),
        (cout, cin // groups, kh, kw),
        bias=bool(rng.integers(0, 2)),
        **kw_args,
    )
    check_torch(case)


def test_float32_in_float32_out_and_grad_is_tensor():
    x = nerve.randn(2, 3, 5, 5, requires_grad=True)
    w = nerve.randn(4, 3, 3, 3, requires_grad=True)
    y = conv2d(x, w, padding=1)
    assert y.dtype == nerve.float32 and y.shape == (2, 4, 5, 5)
    y.sum().backward()
    assert isinstance(w.grad, nerve.Tensor) and w.grad.dtype == nerve.float32


def test_no_grad_records_nothing():
    w = nerve.randn(4, 3, 3, 3, requires_grad=True)
    with nerve.no_grad():
        y = conv2d(nerve.randn(1, 3, 5, 5), w)
    assert not y.requires_grad and y.grad_fn is None


def test_kernel_larger_than_padded_input_names_layer_size_and_formula():
    with pytest.raises(RuntimeError, match=r"conv2d.*input size 4.*\(4 - 5 \+ 0\)/1 \+ 1 = 0"):
        conv2d(nerve.randn(1, 1, 4, 6), nerve.randn(1, 1, 5, 5))
    with pytest.raises(RuntimeError, match=r"conv1d.*padded input size 3"):
        conv1d(nerve.randn(1, 1, 1), nerve.randn(1, 1, 4), padding=1)


def test_channel_mismatch_is_runtime_error():
    with pytest.raises(RuntimeError, match="to have 3 channels, but got 4"):
        conv2d(nerve.randn(1, 4, 5, 5), nerve.randn(2, 3, 3, 3))
    with pytest.raises(RuntimeError, match="groups"):
        conv2d(nerve.randn(1, 4, 5, 5), nerve.randn(3, 2, 3, 3), groups=2)


def test_bad_input_rank_and_padding():
    with pytest.raises(RuntimeError, match="conv2d: expected 3D"):
        conv2d(nerve.randn(5, 5), nerve.randn(2, 1, 3, 3))
    with pytest.raises(ValueError, match="invalid padding string"):
        conv2d(nerve.randn(1, 1, 5, 5), nerve.randn(1, 1, 3, 3), padding="full")
    with pytest.raises(RuntimeError, match="strided"):
        conv2d(nerve.randn(1, 1, 5, 5), nerve.randn(1, 1, 3, 3), padding="same", stride=2)
    with pytest.raises(RuntimeError, match="Input type"):
        conv2d(nerve.randn(1, 1, 5, 5), nerve.tensor(np.ones((1, 1, 3, 3))))


def test_only_needed_gradients_are_computed():
    x = nerve.randn(2, 3, 6, 6)
    w = nerve.randn(4, 3, 3, 3, requires_grad=True)
    conv2d(x, w).sum().backward()
    tw = torch.from_numpy(w.detach().numpy().copy()).requires_grad_()
    TF.conv2d(torch.from_numpy(x.numpy()), tw).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_first_layer_weight_gradient_path_against_torch():
    # K = C·KH·KW = 9 and N·OH·OW >= 8192 take the per-sample weight-gradient reduction
    check_torch(_case2d("first_layer", (12, 1, 28, 28), (4, 1, 3, 3), padding=1))
    # a ResNet stem: K = 3·3·3 = 27 and 64 kernels, no bias; ∂L/∂W sums 8192 float32
    # products of entries up to ~200, so both frameworks' rounding differs by ~1e-4
    stem = _case2d("rgb_first_layer", (8, 3, 32, 32), (64, 3, 3, 3), bias=False, padding=1)
    stem.atol = 1e-3
    check_torch(stem)


def test_weight_gradient_with_rebuilt_columns(monkeypatch):
    # Huge im2col matrices are not kept for backward but rebuilt from the padded input
    monkeypatch.setattr(conv, "_KEEP_COLS_BYTES", 0)
    check_torch(
        _case2d(
            "rebuilt_cols",
            (2, 4, 7, 6),
            (6, 2, 3, 2),
            stride=(2, 1),
            padding=1,
            dilation=(1, 2),
            groups=2,
        )
    )


def test_col2im_in_cache_blocks(monkeypatch):
    # blocks of one sample (the default block is larger than these small tensors)
    monkeypatch.setattr(im2col, "_COL2IM_BLOCK_BYTES", 1)
    check_torch(_case2d("blocked_col2im", (3, 2, 6, 5), (3, 2, 3, 3), stride=(1, 2), padding=1))


@pytest.mark.parametrize("seed", range(4))
def test_stride1_input_gradient_as_convolution_matches_col2im(seed):
    # the stride-1 ∂L/∂x (a convolution of the padded δ with flipped kernels) and the
    # general col2im route must agree, asymmetric padding and dilation included
    rng = np.random.default_rng(seed)
    kh, kw = (int(v) for v in rng.integers(1, 5, 2))
    dilation = tuple(int(v) for v in rng.integers(1, 3, 2))
    pad = tuple(
        (int(rng.integers(0, d * (k - 1) + 1)), int(rng.integers(0, d * (k - 1) + 1)))
        for d, k in zip(dilation, (kh, kw))
    )
    x = rng.standard_normal((2, 3, 9, 8))
    w = rng.standard_normal((5, 3, kh, kw))
    fn = conv.Conv()
    fn.needs_input_grad = [True, False, False]
    y = fn.forward(x, w, None, (1, 1), pad, dilation)
    dy = rng.standard_normal(y.shape)
    d2 = np.ascontiguousarray(dy.transpose(0, 2, 3, 1)).reshape(1, -1, 5)
    fast = fn._input_grad_stride1(dy)
    assert fast is not None and fast.shape == x.shape
    np.testing.assert_allclose(fast, fn._input_grad(d2), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "case", [c for c in CASES if "groups" not in c.name and "depthwise" not in c.name], ids=str
)
def test_row_major_columns_against_torch(case, monkeypatch):
    # the small tables take the K-major columns (few channels); force the row-major im2col
    monkeypatch.setattr(conv, "_K_MAJOR_CHANNELS", 0)
    check_torch(case)


def test_k_major_columns_rebuilt_in_backward(monkeypatch):
    monkeypatch.setattr(conv, "_KEEP_COLS_BYTES", 0)
    check_gradcheck(
        _case2d(
            "k_major_rebuilt",
            (2, 3, 7, 6),
            (4, 3, 3, 2),
            stride=(2, 1),
            padding=(1, 0),
            dilation=(1, 2),
        )
    )


def test_k_major_columns_carry_the_bias_row():
    fn = conv.Conv()
    x, w, b = (
        np.ones((2, 1, 4, 4), np.float32),
        np.ones((3, 1, 2, 2), np.float32),
        np.arange(3, dtype=np.float32),
    )
    fn.forward(x, w, b)
    assert fn.k_major and fn.cols.shape == (5, 2 * 3 * 3)
    np.testing.assert_array_equal(fn.cols[-1], 1)
