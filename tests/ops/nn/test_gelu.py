"""GELU's fused float32 path (nerve/ops/nn/gelu.py, Φ from nerve/ops/math/normal_cdf.py)
against the formulas as written in float64 and against PyTorch, over a wide range and in
the tails; and its rows: float64 finite differences and PyTorch, values and gradients."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
import nerve.nn.functional as F
from nerve.ops.math import normal_cdf
from nerve.ops.nn import gelu as gelu_mod

# every float32 from -14 to 14 at a spacing of 1e-4, and values around the block size
WIDE = np.linspace(-14, 14, 280001).astype(np.float32)
TINY = np.float32(np.finfo(np.float32).tiny)

# the rows' points, as the other smooth activations' (away from 0 for smooth differences)
rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4))
X[np.abs(X) < 0.05] += 0.2
ROWS_WIDE = np.linspace(-30, 30, 12).reshape(3, 4) + 0.01

CASES = [
    Case("GELU", F.gelu, TF.gelu, [X * 2]),
    Case("GELU/wide", F.gelu, TF.gelu, [ROWS_WIDE]),
    Case(
        "GELU/tanh",
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: TF.gelu(x, approximate="tanh"),
        [X * 2],
    ),
    Case(
        "GELU/tanh_wide",
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: TF.gelu(x, approximate="tanh"),
        [ROWS_WIDE],
    ),
    Case("GELU/size1", F.gelu, TF.gelu, [(1, 1)]),
]

table_tests(CASES)


def _truth(x):
    """Φ(x), φ(x) in float64 from math.erfc (exact to ~1e-16 relative in both tails)."""
    x64 = x.astype(np.float64)
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x64])
    return x64, cdf, np.exp(-0.5 * x64 * x64) / math.sqrt(2 * math.pi)


def _rel(got, want):
    """|got/want - 1| where want is a normal float32 (subnormal results have few bits)."""
    ok = np.abs(want) > TINY
    return np.abs(got[ok].astype(np.float64) / want[ok] - 1), ok


def test_cdf_f32_relative_error_in_both_tails():
    x64, cdf, _ = _truth(WIDE)
    got = normal_cdf._normal_cdf_f32(WIDE)
    assert got.dtype == np.float32
    rel, ok = _rel(got, cdf)
    # the rational fit is within 7e-9; what is left is float32 rounding, x²/2's in the
    # exponent included (relative error ~6e-8 · x²/2 of e^(-x²/2))
    assert (rel / (1 + x64[ok] ** 2)).max() < 5e-7
    assert rel[np.abs(x64[ok]) < 1].max() < 5e-7
    # the lower tail stays relative where 1 + erf(x/√2) is 0 in float32
    assert rel[x64[ok] < -6].max() < 1e-4 and ok[x64 < -12].any()


def test_cdf_f32_fast_path_agrees_with_the_float64_reference():
    got = normal_cdf._normal_cdf_f32(WIDE)
    ref = normal_cdf._normal_cdf(WIDE.astype(np.float64))
    rel, ok = _rel(got, ref)
    assert (rel / (1 + WIDE[ok].astype(np.float64) ** 2)).max() < 5e-7


@pytest.mark.parametrize("derivative", [True, False])
def test_gelu_f32_value_and_slope(derivative):
    x64, cdf, pdf = _truth(WIDE)
    y, s = normal_cdf.gelu_f32(WIDE, derivative)
    assert y.dtype == np.float32
    rel, ok = _rel(y, x64 * cdf)
    assert (rel / (1 + x64[ok] ** 2)).max() < 5e-7
    if not derivative:
        assert s is None
        return
    slope = cdf + x64 * pdf
    # Φ + x φ passes through 0 at x ≈ -0.75: absolute there, relative in the tails
    assert np.abs(s - slope).max() < 3e-7
    rel, ok = _rel(s, slope)
    tail = np.abs(x64[ok]) > 2
    assert (rel[tail] / (1 + x64[ok][tail] ** 2)).max() < 5e-7


def test_gelu_tanh_f32_value_and_slope():
    x64 = WIDE.astype(np.float64)
    y, s = gelu_mod._gelu_tanh_f32(WIDE)
    want, dwant = gelu_mod.gelu_reference(x64, "tanh")
    np.testing.assert_allclose(y, want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(s, dwant, rtol=1e-6, atol=3e-7)
    assert gelu_mod._gelu_tanh_f32(WIDE, False)[1] is None


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_torch_float32_and_float64(approximate):
    rng = np.random.default_rng(0)
    # several blocks of the fused pass (1 << 16 values each) and a ragged last one
    x = np.concatenate([WIDE[::7], rng.standard_normal(3 * (1 << 16) + 5) * 3])
    for dtype, tol in ((np.float32, 2e-6), (np.float64, 1e-12)):
        xs = x.astype(dtype)
        dy = rng.standard_normal(xs.shape).astype(dtype)
        xt = nerve.tensor(xs, requires_grad=True)
        F.gelu(xt, approximate=approximate).backward(nerve.tensor(dy))
        tx = torch.tensor(xs.astype(np.float64), requires_grad=True)
        ty = TF.gelu(tx, approximate=approximate)
        ty.backward(torch.from_numpy(dy.astype(np.float64)))
        got = F.gelu(nerve.tensor(xs), approximate=approximate).numpy()
        np.testing.assert_allclose(got, ty.detach().numpy(), rtol=tol, atol=tol / 10)
        np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_backward_without_a_kept_slope_recomputes_it(approximate):
    x = nerve.tensor(WIDE[::1000], requires_grad=True)
    dy = nerve.tensor(np.linspace(-1, 1, x.shape[0]).astype(np.float32))
    gelu_mod.GELU.apply(x, approximate=approximate, derivative=False).backward(dy)
    kept = x.grad.numpy().copy()
    x.grad = None
    F.gelu(x, approximate=approximate).backward(dy)
    np.testing.assert_array_equal(kept, x.grad.numpy())


def test_no_slope_is_kept_without_grad():
    x = nerve.tensor(WIDE[:100], requires_grad=True)
    with nerve.no_grad():
        y = F.gelu(x)
    assert y.grad_fn is None
    seen = []
    orig = gelu_mod.GELU.forward

    def spy(self, x, approximate="none", derivative=True):
        seen.append(derivative)
        return orig(self, x, approximate, derivative)

    gelu_mod.GELU.forward = spy
    try:
        F.gelu(nerve.tensor(WIDE[:10]))
        F.gelu(x)
    finally:
        gelu_mod.GELU.forward = orig
    assert seen == [False, True]


def test_special_values():
    x = np.array([-np.inf, np.inf, np.nan, -1e30, -1e10, -0.0, 0.0, 1e10, 1e30], np.float32)
    y, s = normal_cdf.gelu_f32(x)
    # x Φ(x): Φ(-∞) = 0 makes -∞ · 0 = nan, as x Φ(x) evaluates (and PyTorch gives)
    want = np.array([np.nan, np.inf, np.nan, -0.0, -0.0, -0.0, 0.0, 1e10, 1e30], np.float32)
    np.testing.assert_array_equal(y, want)
    assert np.signbit(y[3:6]).all()
    np.testing.assert_array_equal(s[2:], [np.nan, 0, 0, 0.5, 0.5, 1, 1])
    np.testing.assert_array_equal(
        normal_cdf._normal_cdf_f32(x), [0, 1, np.nan, 0, 0, 0.5, 0.5, 1, 1]
    )
