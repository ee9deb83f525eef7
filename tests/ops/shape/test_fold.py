import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, all_functions, table_tests

import nerve
from nerve.ops.shape import fold as fold_ops
from nerve.ops.shape.fold import fold, unfold


def _unfold(name, shape, **kw):
    return Case(f"Unfold/{name}", lambda x: unfold(x, **kw), lambda x: TF.unfold(x, **kw), [shape])


def _fold(name, shape, **kw):
    return Case(f"Fold/{name}", lambda x: fold(x, **kw), lambda x: TF.fold(x, **kw), [shape])


CASES = [
    _unfold("basic", (2, 3, 4, 5), kernel_size=2),
    _unfold("rect_kernel_stride", (2, 2, 7, 6), kernel_size=(3, 2), stride=(2, 1)),
    _unfold("padding_dilation", (1, 2, 5, 5), kernel_size=3, padding=1, dilation=2),
    _unfold("overlap_free", (2, 3, 4, 6), kernel_size=2, stride=2),
    _unfold("1x1", (2, 4, 3, 3), kernel_size=1),
    _unfold("unbatched", (3, 4, 4), kernel_size=(2, 3), padding=(1, 0)),
    _unfold("kernel_eq_input", (2, 2, 3, 3), kernel_size=3),
    Case(
        "Unfold/noncontig",
        lambda x: unfold(x.transpose(2, 3), 2, stride=2),
        lambda x: TF.unfold(x.transpose(2, 3), 2, stride=2),
        [(2, 2, 5, 4)],
    ),
    _fold("basic", (2, 12, 12), output_size=(4, 5), kernel_size=2),
    _fold("stride_padding", (2, 8, 12), output_size=(5, 6), kernel_size=2, stride=2, padding=1),
    _fold(
        "dilation", (1, 18, 4), output_size=(5, 5), kernel_size=3, dilation=2, padding=1, stride=2
    ),
    _fold("rect", (2, 12, 6), output_size=(5, 4), kernel_size=(3, 2), stride=(1, 2)),
    _fold("unbatched", (8, 9), output_size=(4, 4), kernel_size=2),
    _fold("size1", (1, 1, 1), output_size=1, kernel_size=1),
]


table_tests(CASES)


def test_every_function_has_a_case():
    assert all_functions(fold_ops) == {"Fold", "Unfold"}


def test_unfold_matmul_fold_is_a_convolution():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 3))
    cols = unfold(nerve.tensor(x), 3, padding=1, stride=2)  # (N, C·9, L)
    y = (nerve.tensor(w.reshape(4, -1)) @ cols).reshape(2, 4, 3, 3)
    np.testing.assert_allclose(
        y.numpy(),
        nerve.nn.functional.conv2d(nerve.tensor(x), nerve.tensor(w), padding=1, stride=2).numpy(),
        atol=1e-12,
    )


def test_bad_arguments():
    with pytest.raises(RuntimeError, match="calculated shape of the array of sliding blocks"):
        unfold(nerve.randn(1, 2, 3, 3), 5)
    with pytest.raises(RuntimeError, match="3D .* or 4D"):
        unfold(nerve.randn(3, 3), 2)
    with pytest.raises(RuntimeError, match="number of sliding blocks 2 \\* 2 = 4"):
        fold(nerve.randn(1, 8, 5), (3, 3), 2)
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        fold(nerve.randn(1, 7, 4), (3, 3), 2)
    with pytest.raises(RuntimeError, match="2D .* or 3D"):
        fold(nerve.randn(1, 1, 8, 4), (3, 3), 2)
    with pytest.raises(RuntimeError, match="must be positive"):
        unfold(nerve.randn(1, 1, 3, 3), 2, stride=0)
    for fn, tfn, x in ((unfold, TF.unfold, np.ones((1, 1, 3, 3), np.float32)),):
        assert fn(nerve.tensor(x), 2).dtype == nerve.float32
        assert tuple(fn(nerve.tensor(x), 2).shape) == tuple(tfn(torch.tensor(x), 2).shape)
