"""nerve lab exploding: the exp recurrence's BPTT factor diag(hₜ) W_hh, and clipping
keeping the same SGD run finite where the unclipped one overflows."""

import math

import numpy as np
import pytest

import nerve
from nerve.diagnostics.labs import exploding as le


def test_ratios_follow_the_exp_recursion():
    """∂L/∂hₜ₋₁ = (∂L/∂hₜ ⊙ hₜ) W_hh for hₜ = exp(·)."""
    nerve.manual_seed(2)
    model = le.ExpRNN(hidden=4, scale=0.3)
    x, y = le.task_batch(np.random.default_rng(0), 6)
    got = le.step_back_ratios(model, x, y)
    assert np.all(np.isfinite(got)) and not np.allclose(got, 1.0)
    hs = [h.detach().numpy().astype(np.float64) for h in model.states(x)]
    w_hh = model.weight_hh.detach().numpy().astype(np.float64)
    w_o = model.head.weight.detach().numpy().astype(np.float64)
    y_hat = hs[-1] @ w_o.T + model.head.bias.detach().numpy()
    g = 2 * (y_hat - y.numpy()) / y_hat.size @ w_o
    want = []
    for h in hs[::-1]:
        want.append(np.linalg.norm(g))
        g = (g * h) @ w_hh
    np.testing.assert_allclose(got, np.array(want) / want[0], rtol=1e-4)


def test_enlarged_weights_keep_the_state_finite_and_below_the_limit():
    nerve.manual_seed(0)
    model = le.ExpRNN()
    x, _ = le.task_batch(np.random.default_rng(1), 64)
    scale = le.enlarge_recurrent_weights(model, x, limit=100.0)
    assert scale >= 1.0
    with nerve.no_grad():
        top = float(np.max(model.states(x)[-1].numpy()))
    assert math.isfinite(top) and top <= 100.0


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return le.lab_exploding(quick=True, out=str(tmp_path_factory.mktemp("exploding")))


def test_unclipped_run_overflows_and_clipped_run_stays_finite(result):
    plain, clipped = result.numbers["runs"].values()
    assert not plain["finite"] and plain["diverged_at"] is not None
    assert not math.isfinite(plain["loss"][-1])
    assert plain["grad_norm"][0] > 10 * le.MAX_NORM  # the step that throws it out
    assert clipped["finite"] and len(clipped["loss"]) == result.numbers["steps"]
    assert all(math.isfinite(v) for v in clipped["loss"] + clipped["grad_norm"])
    assert np.mean(clipped["loss"][-10:]) < 1 / 12  # beats the best constant guess
    assert "stays finite" in result.finding


def test_exp_grows_back_in_time_where_tanh_decays(result):
    r = result.numbers["ratios"]
    assert result.numbers["growth"] == max(r["exp"]) > 2
    assert np.all(np.diff(r["tanh"]) < 0)
    assert result.plot.endswith("lab_exploding.png")
