from fractions import Fraction

import numpy as np
import pytest
import torch.nn.functional as TF
from opcheck import Case, check_gradcheck, check_torch

import nerve
from nerve.ops.nn import conv, winograd
from nerve.ops.nn.conv import Conv, conv2d
from nerve.ops.nn.winograd import winograd_input_grad


@pytest.fixture
def path(request, monkeypatch):
    monkeypatch.setattr(winograd, "CONV3X3", request.param)
    return request.param


@pytest.mark.parametrize(
    "m, points", [(2, None), (4, None), (4, (0, 1, -1, 2, -2)), (3, (0, 1, -1, 2))]
)
def test_cook_toom_computes_the_1d_correlation(m, points):
    at, g, bt = winograd.cook_toom(m, 3, points or winograd.POINTS[m])
    alpha = m + 2
    assert at.shape == (m, alpha) and g.shape == (alpha, 3) and bt.shape == (alpha, alpha)
    assert np.array_equal(bt, np.round(bt)), "Bᵀ's rows are scaled to integers"
    rng = np.random.default_rng(m)
    d, k = rng.standard_normal(alpha), rng.standard_normal(3)
    expect = np.array([d[i : i + 3] @ k for i in range(m)])  # y_i = Σ_k d_{i+k} g_k
    np.testing.assert_allclose(at @ ((g @ k) * (bt @ d)), expect, rtol=1e-12, atol=1e-12)


def test_cook_toom_f2_is_lavins_up_to_row_signs():
    at, g, bt = winograd.cook_toom(2, 3, (0, 1, -1))
    lavin_bt = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]])
    lavin_g = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
    np.testing.assert_array_equal(np.abs(bt), np.abs(lavin_bt))
    np.testing.assert_allclose(np.abs(g), np.abs(lavin_g))
    np.testing.assert_array_equal(at, [[1, 1, 1, 0], [0, 1, -1, 1]])


def test_cook_toom_rejects_repeated_or_missing_points():
    with pytest.raises(ValueError, match="F\\(4,3\\) needs 5 distinct"):
        winograd.cook_toom(4, 3, (0, 1, -1, Fraction(1, 2), 1))
    with pytest.raises(ValueError, match="needs 3 distinct"):
        winograd.cook_toom(2, 3, (0, 1))


# (N, C, O, H, W, padding): partial tiles (odd and non-multiple sizes), padding 0/1/2 and
# asymmetric, batch 1, outputs smaller than one tile
SHAPES = [
    (2, 3, 4, 7, 9, ((1, 1), (1, 1))),
    (1, 5, 6, 8, 8, ((0, 0), (2, 2))),
    (2, 2, 3, 5, 6, ((0, 2), (1, 0))),
    (1, 4, 2, 3, 3, ((0, 0), (0, 0))),
    (3, 6, 5, 13, 4, ((2, 1), (1, 2))),
]


@pytest.mark.parametrize("m", [2, 4])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_winograd_matches_im2col_in_float64(m, shape, monkeypatch):
    monkeypatch.setattr(winograd, "CONV3X3", "im2col")
    n, c, o, h, w, pad = shape
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c, 3, 3))
    b = rng.standard_normal(o)
    ref = Conv().forward(x, k, b, (1, 1), pad, (1, 1), 1)
    y, v = winograd.winograd_conv(x, k, pad, m, b, keep_tiles=True)
    np.testing.assert_allclose(y.transpose(0, 3, 1, 2), ref, rtol=1e-10, atol=1e-10)
    dy = rng.standard_normal(ref.shape)
    fn = Conv()
    fn.forward(x, k, b, (1, 1), pad, (1, 1), 1)
    fn.needs_input_grad = (True, True, False)
    dx_ref, dw_ref, _ = fn.backward(dy)
    tiles = winograd.geometry((h, w), pad, m)[1]
    np.testing.assert_allclose(
        winograd.winograd_weight_grad(v, dy, m, tiles), dw_ref, rtol=1e-10, atol=1e-10
    )
    dx = winograd.winograd_input_grad(dy, k, pad, m).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-10, atol=1e-10)


def _case(name, x, w, bias=True, **kw):
    inputs = [x, w] + ([(w[0],)] if bias else [])
    return Case(
        f"Winograd/{name}",
        lambda *a: conv2d(*a, **kw),
        lambda *a: TF.conv2d(*a, **kw),
        inputs,
        rtol=1e-4,
        atol=1e-4,
    )


CASES = [
    _case("pad1", (2, 3, 7, 9), (4, 3, 3, 3), padding=1),
    _case("valid_nobias", (2, 4, 6, 5), (3, 4, 3, 3), bias=False),
    _case("pad2", (1, 2, 5, 5), (3, 2, 3, 3), padding=2),
    _case("same", (2, 3, 6, 7), (2, 3, 3, 3), padding="same"),
    _case("batch1_tiny", (1, 1, 3, 3), (1, 1, 3, 3), padding=1),
    _case("unbatched", (3, 5, 6), (4, 3, 3, 3), padding=1),
    Case(
        "Winograd/noncontig",
        lambda x, w: conv2d(x.transpose(2, 3), w, padding=1),
        lambda x, w: TF.conv2d(x.transpose(2, 3), w, padding=1),
        [(2, 3, 5, 6), (4, 3, 3, 3)],
        atol=1e-4,
    ),
]


@pytest.mark.parametrize("path", ["f2", "f4"], indirect=True)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_forced_winograd_against_torch_and_gradcheck(case, path):
    check_torch(case)
    check_gradcheck(case)


@pytest.mark.parametrize("path", ["f2", "f4"], indirect=True)
def test_forced_winograd_runs_the_winograd_path(path):
    x, w = nerve.randn(2, 3, 6, 6, requires_grad=True), nerve.randn(4, 3, 3, 3)
    y = conv2d(x, w, padding=1)
    assert y.grad_fn.tile == int(path[1])


@pytest.mark.parametrize("path", ["f2", "f4"], indirect=True)
def test_weight_gradient_with_tiles_rebuilt_from_x(path, monkeypatch):
    monkeypatch.setattr(conv, "_KEEP_COLS_BYTES", 0)
    check_torch(CASES[0])


@pytest.mark.parametrize("path", ["f4"], indirect=True)
def test_double_backward_after_a_winograd_forward(path, monkeypatch):
    rng = np.random.default_rng(0)
    x = nerve.tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = nerve.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    (gx,) = nerve.autograd.grad(conv2d(x, w, padding=1).sum(), [x], create_graph=True)
    (gw,) = nerve.autograd.grad((gx**2).sum(), [w])
    monkeypatch.setattr(winograd, "CONV3X3", "im2col")
    (gx2,) = nerve.autograd.grad(conv2d(x, w, padding=1).sum(), [x], create_graph=True)
    (gw2,) = nerve.autograd.grad((gx2**2).sum(), [w])
    np.testing.assert_allclose(gw.numpy(), gw2.numpy(), rtol=1e-10)


def test_auto_rule_picks_winograd_for_wide_convs_and_im2col_for_first_layers(monkeypatch):
    monkeypatch.setattr(winograd, "CONV3X3", "auto")
    wide = conv2d(
        nerve.randn(1, 64, 16, 16, requires_grad=True), nerve.randn(64, 64, 3, 3), padding=1
    )
    first = conv2d(
        nerve.randn(1, 1, 16, 16, requires_grad=True), nerve.randn(32, 1, 3, 3), padding=1
    )
    assert wide.grad_fn.tile == winograd.select(64, 64, 16, 16) != 0
    assert first.grad_fn.tile == 0


@pytest.mark.parametrize(
    "kw",
    [
        {"stride": (2, 1)},
        {"dilation": (1, 2)},
        {"groups": 2},
        {"padding": ((3, 3), (1, 1))},
        {"kernel": (5, 5)},
        {"dtype": np.float16},
    ],
    ids=str,
)
def test_other_convs_fall_back_to_im2col(kw, monkeypatch):
    monkeypatch.setattr(winograd, "CONV3X3", "f4")
    base = {
        "kernel": (3, 3),
        "stride": (1, 1),
        "dilation": (1, 1),
        "groups": 1,
        "padding": ((1, 1), (1, 1)),
        "dtype": np.float32,
    }
    assert winograd.tile_for(4, 4, (8, 8), **base) == 4
    assert winograd.tile_for(4, 4, (8, 8), **(base | kw)) == 0


def test_bad_forcing_value_names_the_variable(monkeypatch):
    monkeypatch.setattr(winograd, "CONV3X3", "fast")
    with pytest.raises(RuntimeError, match="NERVE_CONV3X3 must be one of"):
        conv2d(nerve.randn(1, 2, 5, 5), nerve.randn(2, 2, 3, 3))


def _float32_errors(shape=(2, 32, 32, 16)):
    """max |y₃₂ - y₆₄| / max |y₆₄| per path, post-ReLU input, He-initialised kernels."""
    winograd.CONV3X3 = "im2col"  # the callers' monkeypatch restores it
    n, c, o, s = shape
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((n, c, s, s)), 0)
    k = rng.standard_normal((o, c, 3, 3)) * np.sqrt(2 / (9 * c))
    ref = Conv().forward(x, k, None, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    x32, k32 = x.astype(np.float32), k.astype(np.float32)
    out = {"im2col": Conv().forward(x32, k32, None, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)}
    for m in (2, 4):
        out[f"f{m}"] = winograd.winograd_conv(x32, k32, ((1, 1), (1, 1)), m)[0].transpose(
            0, 3, 1, 2
        )
    return {p: float(np.abs(y - ref).max() / np.abs(ref).max()) for p, y in out.items()}


def test_float32_error_growth_is_bounded(monkeypatch):
    monkeypatch.setattr(winograd, "CONV3X3", "im2col")
    err = _float32_errors()
    print("float32 max error / max |y|:", err)
    assert err["im2col"] < 1e-6
    assert err["f2"] < 2 * err["im2col"] + 1e-7  # F(2x2): the same order as im2col
    assert err["f2"] < err["f4"] < 20 * err["im2col"]  # F(4x4) grows, within 20x


def test_chosen_points_beat_lavins_for_f4(monkeypatch):
    monkeypatch.setattr(winograd, "CONV3X3", "im2col")
    ours = _float32_errors()["f4"]
    monkeypatch.setitem(winograd.POINTS, 4, (0, 1, -1, 2, -2))
    lavin = _float32_errors()["f4"]
    print(f"F(4x4) float32 error: points {winograd.POINTS[4]}: {lavin:.2e}, ours {ours:.2e}")
    assert ours < lavin


def test_winograd_forward_with_im2col_input_gradient(monkeypatch):
    # the rule is asked again for ∂L/∂x with the channels swapped (O -> C)
    monkeypatch.setattr(winograd, "CONV3X3", "auto")
    monkeypatch.setattr(winograd, "select", lambda c, o, h, w, sharded=False: 4 if c == 3 else 0)
    case = _case("fwd_f4_dx_im2col", (2, 3, 7, 6), (5, 3, 3, 3), padding=1)
    check_torch(case)
    check_gradcheck(case)
    x = nerve.randn(1, 3, 5, 5, requires_grad=True)
    assert conv2d(x, nerve.randn(5, 3, 3, 3), padding=1).grad_fn.tile == 4


@pytest.mark.parametrize(
    "c, o, size, tile",
    [
        (8, 8, 32, 0),
        (4, 64, 16, 0),
        (1, 32, 28, 0),
        (3, 64, 32, 0),  # few channels
        (16, 16, 16, 4),
        (64, 64, 32, 4),
        (32, 64, 14, 4),
        (64, 8, 16, 4),
        (8, 64, 16, 4),
        (12, 12, 16, 0),
        (64, 64, 2, 0),
        (64, 64, 3, 0),
        (64, 64, 5, 2),
        (64, 64, 6, 2),
        (64, 64, 7, 4),
    ],
)
def test_selection_rule(c, o, size, tile):
    assert winograd.select(c, o, size, size) == tile


@pytest.mark.parametrize(
    "c, o, size, tile",
    [
        (32, 64, 14, 0),  # cnn_train's second conv: sharded im2col wins below 16x16
        (64, 64, 8, 0),
        (128, 128, 8, 0),
        (64, 64, 15, 0),
        (32, 32, 16, 4),
        (64, 64, 32, 4),  # resnet_train's blocks
        (8, 64, 16, 4),
        (12, 12, 16, 0),  # below the channel line either way
        (3, 64, 32, 0),
    ],
)
def test_selection_rule_when_im2col_runs_in_shards(c, o, size, tile):
    assert winograd.select(c, o, size, size, sharded=True) == tile


def test_im2col_forward_with_winograd_input_gradient(monkeypatch):
    monkeypatch.setattr(winograd, "CONV3X3", "auto")
    monkeypatch.setattr(winograd, "select", lambda c, o, h, w, sharded=False: 2 if c == 5 else 0)
    case = _case("fwd_im2col_dx_f2", (2, 3, 7, 6), (5, 3, 3, 3), padding=(0, 1))
    check_torch(case)
    check_gradcheck(case)
    calls = []
    monkeypatch.setattr(
        winograd, "winograd_input_grad", lambda *a: calls.append(a) or winograd_input_grad(*a)
    )
    x = nerve.randn(1, 3, 5, 5, requires_grad=True)
    y = conv2d(x, nerve.randn(5, 3, 3, 3), padding=1)
    assert y.grad_fn.tile == 0
    y.sum().backward()
    assert len(calls) == 1 and calls[0][3] == 2
