"""Batch-sharded convolutions (nerve/ops/nn/conv_shards.py) against the serial path,
PyTorch and float64 finite differences."""

import os

import numpy as np
import pytest
import torch.nn.functional as TF
from opcheck import Case, check_gradcheck, check_torch

import nerve
from nerve.ops.nn import conv_shards, winograd
from nerve.ops.nn.conv import conv2d


def _case(name, x, w, bias=True, **kw):
    inputs = [x, w] + ([(w[0],)] if bias else [])
    return Case(
        f"Conv/shards_{name}",
        lambda *a: conv2d(*a, **kw),
        lambda *a: TF.conv2d(*a, **kw),
        inputs,
        rtol=1e-4,
        atol=1e-4,
    )


ROWS_2D = [
    _case("pad1", (3, 3, 5, 5), (4, 3, 3, 3), padding=1),
    _case("first_layer", (5, 1, 8, 8), (6, 1, 3, 3), padding=1),
    _case("stride2_pad_tuple", (4, 2, 7, 8), (3, 2, 3, 2), stride=2, padding=(1, 2)),
    _case("nobias", (3, 2, 7, 9), (3, 2, 2, 3), bias=False, stride=(2, 3)),
    _case("dilation", (2, 2, 8, 7), (2, 2, 3, 2), dilation=(2, 3), padding=1),
    _case("groups", (3, 4, 5, 6), (6, 2, 3, 3), groups=2, padding=1),
    _case("depthwise", (4, 3, 6, 6), (3, 1, 3, 3), groups=3, stride=2, padding=1),
    _case("dx_as_conv", (3, 5, 6, 5), (3, 5, 3, 2), padding=(1, 0)),
    _case("pad_gt_kernel", (3, 2, 4, 5), (3, 2, 3, 2), padding=(3, 2)),
    _case("1x1", (4, 5, 4, 3), (3, 5, 1, 1)),
    _case("batch1", (1, 2, 5, 5), (3, 2, 3, 3)),
]


@pytest.fixture
def sharded(monkeypatch):
    """Every conv shards, into 3 parts (uneven ones for odd batches), im2col forced."""
    monkeypatch.setattr(conv_shards, "ENABLED", True)
    monkeypatch.setattr(conv_shards, "MIN_MACS", 0)
    monkeypatch.setattr(conv_shards, "threads", lambda: 3)
    monkeypatch.setattr(winograd, "CONV3X3", "im2col")


@pytest.mark.parametrize("case", ROWS_2D, ids=str)
def test_sharded_against_torch(case, sharded):
    check_torch(case)


@pytest.mark.parametrize("case", ROWS_2D[:6], ids=str)
def test_sharded_gradcheck(case, sharded):
    check_gradcheck(case)


def _run(x, w, b, dy, **kw):
    xs, ws, bs = (nerve.tensor(a, requires_grad=True) for a in (x, w, b))
    y = conv2d(xs, ws, bs, **kw)
    parts = y.grad_fn.parts  # read before backward frees the node
    y.backward(nerve.tensor(dy))
    return parts, [y.detach().numpy(), xs.grad.numpy(), ws.grad.numpy(), bs.grad.numpy()]


@pytest.mark.parametrize(
    "shape, kw",
    [
        (((7, 3, 9, 8), (5, 3, 3, 3)), {"padding": 1}),
        (((5, 1, 12, 12), (8, 1, 3, 3)), {"padding": 1}),  # K-major columns (a first layer)
        (((6, 8, 9, 7), (6, 4, 3, 2)), {"stride": (2, 1), "groups": 2, "padding": (1, 0)}),
        (((4, 16, 6, 6), (16, 16, 3, 3)), {"padding": 1}),  # ∂L/∂x as a convolution of δ
    ],
    ids=["col2im", "k_major", "grouped_strided", "dx_as_conv"],
)
def test_shards_match_the_serial_path(shape, kw, monkeypatch):
    (xshape, wshape), rng = shape, np.random.default_rng(0)
    x, w = rng.standard_normal(xshape), rng.standard_normal(wshape)
    b = rng.standard_normal(wshape[0])
    monkeypatch.setattr(winograd, "CONV3X3", "im2col")
    monkeypatch.setattr(conv_shards, "ENABLED", False)
    y0 = conv2d(nerve.tensor(x), nerve.tensor(w), **kw)
    dy = rng.standard_normal(y0.shape)
    parts, serial = _run(x, w, b, dy, **kw)
    assert parts is None
    monkeypatch.setattr(conv_shards, "ENABLED", True)
    monkeypatch.setattr(conv_shards, "MIN_MACS", 0)
    monkeypatch.setattr(conv_shards, "threads", lambda: 2)
    parts, shards = _run(x, w, b, dy, **kw)
    assert len(parts) == 2
    for a, s in zip(serial, shards):
        np.testing.assert_allclose(s, a, rtol=1e-12, atol=1e-12)


def test_large_convs_shard_and_keep_channels_last(monkeypatch):
    monkeypatch.setattr(conv_shards, "ENABLED", True)
    monkeypatch.setattr(conv_shards, "threads", lambda: 2)
    monkeypatch.setattr(winograd, "CONV3X3", "im2col")
    x = nerve.randn(8, 16, 16, 16, requires_grad=True)
    y = conv2d(x, nerve.randn(32, 16, 3, 3, requires_grad=True), padding=1)
    fn = y.grad_fn
    assert fn.parts is not None and [hi - lo for lo, hi in fn.shards] == [4, 4]
    y_data = y.detach().numpy()
    assert y_data.strides[1] == 4  # channels innermost in memory, as the serial path
    dx, dw, _ = fn.backward(y_data)  # the node's own ∂L/∂x, before the leaf's copy
    assert dx.shape == x.shape and dx.strides[1] == 4 and dw.shape == (32, 16, 3, 3)
    # small convs stay serial: the hand-off would cost more than the second core gives
    small = conv2d(nerve.randn(2, 2, 5, 5, requires_grad=True), nerve.randn(3, 2, 3, 3))
    assert small.grad_fn.parts is None


def test_winograd_convs_do_not_shard(monkeypatch):
    monkeypatch.setattr(conv_shards, "ENABLED", True)
    monkeypatch.setattr(conv_shards, "MIN_MACS", 0)
    monkeypatch.setattr(conv_shards, "threads", lambda: 2)
    monkeypatch.setattr(winograd, "CONV3X3", "f4")
    y = conv2d(nerve.randn(4, 4, 8, 8, requires_grad=True), nerve.randn(4, 4, 3, 3), padding=1)
    assert y.grad_fn.parts is None and y.grad_fn.tile == 4


def test_double_backward_through_shards(sharded):
    rng = np.random.default_rng(1)
    x = nerve.tensor(rng.standard_normal((5, 3, 6, 6)), requires_grad=True)
    w = nerve.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    out = []
    for on in (True, False):
        conv_shards.ENABLED = on
        y = conv2d(x, w, padding=1)
        assert (y.grad_fn.parts is not None) == on
        (gx,) = nerve.autograd.grad((y**2).sum(), [x], create_graph=True)
        (gw,) = nerve.autograd.grad((gx**2).sum(), [w])
        out.append(gw.numpy())
    conv_shards.ENABLED = True  # the fixture's value (monkeypatch restores the default)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-10)


def test_every_shard_runs_when_the_split_pool_is_busy(sharded, monkeypatch):
    # over_batch runs the jobs in one call when it cannot split (one thread): same result
    from nerve.backend import parallel

    monkeypatch.setattr(parallel, "num_threads", lambda: 1)
    case = ROWS_2D[1]
    check_torch(case)


@pytest.mark.parametrize("threads", [1, 2])
def test_the_rule_follows_the_shards(threads, monkeypatch):
    # cnn_train's second conv: F(4x4) when it runs serially, im2col in shards on 2 cores
    monkeypatch.setattr(winograd, "CONV3X3", "auto")
    monkeypatch.setattr(conv_shards, "ENABLED", True)
    monkeypatch.setattr(conv_shards, "threads", lambda: threads)
    x = nerve.randn(4, 32, 14, 14, requires_grad=True)
    w = nerve.randn(64, 32, 3, 3, requires_grad=True)
    fn = conv2d(x, w, padding=1).grad_fn
    if threads == 1:
        assert fn.parts is None and fn.tile == 4
    else:
        assert len(fn.parts) == 2 and fn.tile == 0
        assert all(p.in_shard and p.tile == 0 for p in fn.parts)


def test_off_by_default_the_rule_is_the_serial_one(monkeypatch):
    # measured: the shards lose in cnn_train (conv_shards' docstring), so they are opt-in
    monkeypatch.setattr(winograd, "CONV3X3", "auto")
    monkeypatch.setattr(conv_shards, "threads", lambda: 2)
    if not conv_shards.ENABLED:
        x = nerve.randn(4, 32, 14, 14, requires_grad=True)
        fn = conv2d(x, nerve.randn(64, 32, 3, 3), padding=1).grad_fn
        assert fn.parts is None and fn.tile == 4
    assert conv_shards.ENABLED == (os.environ.get("NERVE_CONV_SHARDS") == "1")
