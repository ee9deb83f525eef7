"""nerve lab bptt: the gradient ratio per step back, checked against the BPTT recursion
written out in NumPy, and the lab's claims (decay at init, cut at K, longer reach after
training on a memory task)."""

import numpy as np
import pytest

import nerve
from nerve.diagnostics.labs import bptt as lb


def _numpy_ratios(model, x, tokens):
    """∂L/∂hₜ₋₁ = (∂L/∂hₜ ⊙ (1 - hₜ²)) W_hh, from ∂L/∂h_T of the head's cross-entropy."""
    rnn = model.rnn
    w_ih, w_hh = rnn.weight_ih_l0.detach().numpy(), rnn.weight_hh_l0.detach().numpy()
    b = rnn.bias_ih_l0.detach().numpy() + rnn.bias_hh_l0.detach().numpy()
    w_o, b_o = model.head.weight.detach().numpy(), model.head.bias.detach().numpy()
    xs = x.numpy().astype(np.float64)
    h, hs = np.zeros((xs.shape[0], rnn.hidden_size)), []
    for t in range(xs.shape[1]):
        h = np.tanh(xs[:, t] @ w_ih.T + h @ w_hh.T + b)
        hs.append(h)
    z = hs[-1] @ w_o.T + b_o
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(p)), tokens[:, -1 - lb.DELAY]] -= 1
    g, norms = p / len(p) @ w_o, []
    for t in range(xs.shape[1] - 1, -1, -1):
        norms.append(np.linalg.norm(g))
        g = (g * (1 - hs[t] ** 2)) @ w_hh
    return np.array(norms) / norms[0]


def test_ratios_match_the_bptt_recursion():
    nerve.manual_seed(3)
    model = lb.DelayNet(6)
    x, tokens = lb.delay_batch(np.random.default_rng(0), 5, 12)
    np.testing.assert_allclose(
        lb.reach_ratios(model, x, tokens), _numpy_ratios(model, x, tokens), rtol=1e-4
    )


def test_reach():
    assert lb.reach(np.array([1.0, 0.5, 0.02, 0.009, 0.2])) == 3
    assert lb.reach(np.array([1.0, 0.5])) == 2


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return lb.lab_bptt(quick=True, out=str(tmp_path_factory.mktemp("bptt")))


def test_decays_at_init_and_is_cut_by_truncation(result):
    n = result.numbers
    init = np.array(n["ratios"]["at init"])
    cut = n["cut"]
    assert init[0] == 1.0 and np.all(np.diff(init) < 0)  # shrinks with every step back
    assert init[12] < 1e-2 < init[1]
    assert 6 <= n["reach"]["at init"] <= 12
    trunc = np.array(n["ratios"][f"at init, truncated BPTT (K = {cut})"])
    np.testing.assert_allclose(trunc[:cut], init[:cut], rtol=1e-5)
    assert np.all(trunc[cut:] == 0) and n["reach"][f"at init, truncated BPTT (K = {cut})"] == cut


def test_training_on_a_memory_task_lengthens_the_reach(result):
    n = result.numbers
    trained = next(v for k, v in n["reach"].items() if k.startswith("after"))
    assert trained > n["reach"]["at init"] + 5
    assert n["loss_last"] < n["loss_first"] / 2
    assert "k = 10, 11, 12 at init:" in result.report
    assert result.plot.endswith("lab_bptt.png")
