"""roi_pool against a direct transcription of torchvision's CPU kernel (torchvision is not
a test dependency), plus float64 finite differences."""

import math

import numpy as np
import pytest
from opcheck import Case, Const, table_tests

import nerve
from nerve.ops.nn import roi
from nerve.ops.nn.roi import roi_pool


def reference_roi_pool(x, rois, out, scale):
    """torchvision.ops.roi_pool, one box and bin at a time (slow, obviously right)."""
    n, c, h, w = x.shape
    ph, pw = out
    y = np.zeros((len(rois), c, ph, pw), x.dtype)
    arg = np.full((len(rois), c, ph, pw), -1)
    f = x.dtype.type
    for k, r in enumerate(rois.astype(x.dtype)):
        b = int(r[0])
        x1, y1, x2, y2 = (
            int(math.copysign(math.floor(abs(v) + 0.5), v)) for v in (r[1:] * f(scale))
        )
        bh, bw = f(max(y2 - y1 + 1, 1)) / f(ph), f(max(x2 - x1 + 1, 1)) / f(pw)
        for i in range(ph):
            for j in range(pw):
                hs = min(max(int(math.floor(f(i) * bh)) + y1, 0), h)
                he = min(max(int(math.ceil(f(i + 1) * bh)) + y1, 0), h)
                ws = min(max(int(math.floor(f(j) * bw)) + x1, 0), w)
                we = min(max(int(math.ceil(f(j + 1) * bw)) + x1, 0), w)
                if he <= hs or we <= ws:
                    continue
                for ch in range(c):
                    win = x[b, ch, hs:he, ws:we]
                    a = int(np.argmax(win))
                    y[k, ch, i, j] = win.flat[a]
                    arg[k, ch, i, j] = (hs + a // (we - ws)) * w + ws + a % (we - ws)
    return y, arg


def reference_grad(x, arg, rois, dy):
    dx = np.zeros_like(x)
    n, c, h, w = x.shape
    for k, i, j, m in np.ndindex(arg.shape[0], arg.shape[2], arg.shape[3], c):
        if arg[k, m, i, j] >= 0:
            a = arg[k, m, i, j]
            dx[int(rois[k, 0]), m, a // w, a % w] += dy[k, m, i, j]
    return dx


rng = np.random.default_rng(0)
ROIS = np.array(
    [
        [0, 0, 0, 7, 5],
        [1, 2.4, 1.6, 6.5, 7],
        [0, 3, 3, 3, 3],
        [1, -2, -3, 20, 4],
        [0, 5, 5, 1, 1],
        [1, 10, 10, 14, 14],
    ],
    np.float64,
)

CASES = [
    Case("RoIPool/2x2", lambda x: roi_pool(x, nerve.from_numpy(ROIS), 2), None, [(2, 3, 8, 9)]),
    Case(
        "RoIPool/3x2_scaled",
        lambda x: roi_pool(x, nerve.from_numpy(ROIS), (3, 2), 0.5),
        None,
        [(2, 2, 8, 9)],
    ),
    Case(
        "RoIPool/list_boxes",
        lambda x, b: roi_pool(x, [b, b * 0.5], 2),
        None,
        [(2, 2, 6, 6), Const(np.array([[0.0, 0, 4, 5], [1, 2, 5, 3]]))],
    ),
]


table_tests(CASES, against_torch=False)


def test_every_function_has_a_case():
    from opcheck import all_functions

    assert all_functions(roi) == {"RoIPool"}


@pytest.mark.parametrize(
    "out,scale,dtype",
    [
        ((2, 2), 1.0, np.float32),
        ((3, 2), 0.5, np.float32),
        ((1, 4), 0.25, np.float64),
        ((7, 7), 1.0, np.float32),
    ],
)
def test_against_torchvision_semantics(out, scale, dtype):
    x = rng.standard_normal((2, 3, 16, 15)).astype(dtype)
    x[0, 0, :4, :4] = 0  # ties
    rois = np.concatenate([ROIS, ROIS * [1, 2, 2, 2, 2]]).astype(dtype)
    xt = nerve.tensor(x, requires_grad=True)
    y = roi_pool(xt, nerve.from_numpy(rois), out, scale)
    ry, arg = reference_roi_pool(x, rois, out, scale)
    assert y.shape == ry.shape and y.dtype == x.dtype
    np.testing.assert_array_equal(y.detach().numpy(), ry)
    dy = rng.standard_normal(ry.shape).astype(dtype)
    y.backward(nerve.from_numpy(dy))
    np.testing.assert_allclose(
        xt.grad.numpy(), reference_grad(x, arg, rois, dy), rtol=1e-5, atol=1e-6
    )


def test_list_of_boxes_equals_indexed_tensor():
    x = nerve.randn(2, 2, 8, 8)
    a, b = np.array([[0.0, 0, 4, 5]]), np.array([[1.0, 2, 6, 7], [0, 0, 7, 7]])
    y1 = roi_pool(x, [nerve.from_numpy(a), nerve.from_numpy(b)], 2)
    rois = np.array([[0, 0, 0, 4, 5], [1, 1, 2, 6, 7], [1, 0, 0, 7, 7]], np.float64)
    y2 = roi_pool(x, nerve.from_numpy(rois), 2)
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())


def test_bad_boxes():
    with pytest.raises(ValueError, match=r"Tensor\[K, 5\]"):
        roi_pool(nerve.randn(1, 1, 4, 4), nerve.randn(3, 4), 2)
    with pytest.raises(IndexError, match="batch indices"):
        roi_pool(nerve.randn(1, 1, 4, 4), nerve.tensor([[1.0, 0, 0, 2, 2]]), 2)
