"""The lecture's worked examples: every printed number, against PyTorch and the slides."""

import numpy as np
import pytest

from nerve.cli import main
from nerve.diagnostics.labs.lecture import THETA1, THETA2, X, lab_backprop, lab_graph

torch = pytest.importorskip("torch")


def test_backprop_numbers_match_torch_and_the_slide(tmp_path):
    n = lab_backprop(out=str(tmp_path)).numbers
    x = torch.tensor(X, dtype=torch.float64)
    t1 = torch.tensor(THETA1, dtype=torch.float64, requires_grad=True)
    t2 = torch.tensor(THETA2, dtype=torch.float64, requires_grad=True)
    h1 = torch.sigmoid(x @ t1)
    y_hat = torch.sigmoid(h1 @ t2)
    y_hat.retain_grad()
    loss = 0.5 * (1.0 - y_hat) ** 2
    loss.backward()
    np.testing.assert_allclose(n["h1"], h1.detach().numpy(), rtol=1e-12)
    assert n["y_hat"] == pytest.approx(y_hat.item(), rel=1e-12)
    assert n["E"] == pytest.approx(loss.item(), rel=1e-12)
    assert n["dE_dy_hat"] == pytest.approx(y_hat.grad.item(), rel=1e-12)
    np.testing.assert_allclose(n["dE_dtheta2"], t2.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(n["dE_dtheta1"], t1.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(n["theta2_after"], (t2 - t2.grad).detach().numpy(), rtol=1e-12)
    # the slide's rounding
    assert np.round(n["h1"], 2).tolist() == [0.79, 0.92, 0.16]
    assert round(n["theta1_T_x"][2], 2) == -1.65
    assert (round(n["y_hat"], 4), round(n["E"], 4), n["dE_dy_hat"]) == (
        0.6250,
        0.0703,
        pytest.approx(-0.375, abs=1e-4),
    )


def test_backprop_command_prints_the_numbers(tmp_path, capsys):
    assert main(["lab", "backprop", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for text in (
        "uses -1.5",
        "h1 = σ(Θ1ᵀx)  = (0.7941, 0.9206, 0.1611)",
        "ŷ = σ(Θ2·h1)  = 0.6250",
        "E             = 0.0703",
        "∂E/∂ŷ         = -0.3750",
        "trace of the backward",
        "Θ2 ← Θ2 - γ ∂E/∂Θ2          = (-0.1302, 0.5809, 1.3142)",
    ):
        assert text in out, text


def test_graph_lab(tmp_path, capsys):
    r = lab_graph(out=str(tmp_path))
    assert (r.numbers["q"], r.numbers["f"]) == (3.0, -12.0)
    assert (r.numbers["df_dx"], r.numbers["df_dy"], r.numbers["df_dz"]) == (-4.0, -4.0, 3.0)
    assert main(["lab", "graph", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "∂f/∂x = -4" in out and "∂f/∂y = -4" in out and "∂f/∂z = 3" in out
