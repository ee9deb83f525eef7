"""nerve lab parallel: the per-unit, per-row and matrix layers compute the same thing,
and the lab reports threads and the missing GPU honestly (no timing is asserted)."""

import sys

import numpy as np
import pytest

from nerve.diagnostics.labs import parallel as lp


@pytest.fixture
def layer_inputs():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 7))
    w = rng.standard_normal((3, 7))
    b = rng.standard_normal(3)
    dy = rng.standard_normal((5, 3))
    return x, w, b, dy


def test_the_four_ways_agree(layer_inputs):
    x, w, b, dy = (a.astype(np.float32) for a in layer_inputs)
    ways = lp.compute_all(x, w, b, dy)
    assert list(ways) == list(lp.WAYS)
    ref_y, ref_grads = ways["matrix"]
    for way, (y, grads) in ways.items():
        np.testing.assert_allclose(y, ref_y, rtol=1e-5, atol=1e-5, err_msg=way)
        for g, r in zip(grads, ref_grads):
            np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-5, err_msg=way)


def test_the_loops_match_the_formulas(layer_inputs):
    """y = x Wᵀ + b; ∂L/∂W = δᵀx, ∂L/∂b = Σₙ δₙ, ∂L/∂x = δW, with L = Σ δ ⊙ y."""
    x, w, b, dy = layer_inputs
    want_y = np.einsum("ni,ji->nj", x, w) + b
    for fwd in (lp.forward_per_unit, lp.forward_per_row):
        np.testing.assert_allclose(fwd(x, w, b), want_y, rtol=1e-12)
    # central differences of L(W) = Σ dy ⊙ (x Wᵀ + b) for one weight
    eps, (j, i) = 1e-6, (2, 4)
    wp, wm = w.copy(), w.copy()
    wp[j, i] += eps
    wm[j, i] -= eps
    numeric = (
        np.sum(dy * lp.forward_per_unit(x, wp, b)) - np.sum(dy * lp.forward_per_unit(x, wm, b))
    ) / (2 * eps)
    for bwd in (lp.backward_per_unit, lp.backward_per_row, lp.backward_matrix):
        dw, db, dx = bwd(x, w, dy)
        assert dw[j, i] == pytest.approx(numeric, rel=1e-6)
        np.testing.assert_allclose(db, dy.sum(0), rtol=1e-12)
        np.testing.assert_allclose(dx, dy @ w, rtol=1e-12)


def test_lab_reports_threads_and_no_gpu(tmp_path):
    r = lp.lab_parallel(quick=True, out=str(tmp_path))
    n = r.numbers
    assert n["threadpoolctl"] is True and set(n["seconds"]) == {"1 thread", "2 threads"}
    for times in n["seconds"].values():
        assert set(times) == set(lp.WAYS)
        assert all(t["forward"] > 0 and t["backward"] >= 0 for t in times.values())
    assert n["max_abs_difference"] < 1e-4
    assert n["gpu"] is False
    assert "no GPU device in this build (nerve.cuda.is_available() is False)" in r.report
    assert "2 BLAS threads run the matrix product" in r.finding
    assert (tmp_path / "lab_parallel.png").stat().st_size > 1000


def test_without_threadpoolctl_it_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails
    r = lp.lab_parallel(quick=True, out=str(tmp_path))
    assert list(r.numbers["seconds"]) == ["default threads"]
    assert "threadpoolctl is not installed (pip install threadpoolctl)" in r.finding
