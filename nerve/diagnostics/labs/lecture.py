"""The lectures' own worked examples, number for number: ``nerve lab backprop`` (the
2-3-1 sigmoid network without biases, one SGD step) and ``nerve lab graph`` (the
computational graph q = x + y, f = q z)."""

from __future__ import annotations

import os

import numpy as np

import nerve.nn.functional as F
from nerve import creation, dtypes, nn, optim
from nerve.diagnostics import plots
from nerve.diagnostics.labs.result import LabResult, save_plot
from nerve.diagnostics.trace import backprop_trace

X = (1.0, -0.5)
THETA1 = ((1.2, 2.1, -1.5), (-0.3, -0.7, 0.3))
THETA2 = (-0.2, 0.5, 1.3)
SLIDE_NOTE = (
    "note: the slide prints Θ1's third column as (1.5, 0.3), but its own arithmetic "
    "(Θ1ᵀx third entry -1.65) uses -1.5; this lab runs -1.5 (with +1.5, ŷ = 0.79)."
)


class LectureNet(nn.Module):
    """ŷ = σ(Θ2 · σ(Θ1ᵀ x)): 2 inputs, 3 sigmoid hidden units, 1 sigmoid output, no bias."""

    def __init__(self) -> None:
        super().__init__()
        self.theta1 = nn.Parameter(creation.tensor(THETA1, dtype=dtypes.float64))
        self.theta2 = nn.Parameter(creation.tensor(THETA2, dtype=dtypes.float64))

    def forward(self, x):
        self.h1 = F.sigmoid(x @ self.theta1)
        return F.sigmoid(self.h1 @ self.theta2)


def _vec(v) -> str:
    return "(" + ", ".join(f"{float(a):.4f}" for a in np.ravel(v)) + ")"


def lab_backprop(quick: bool = False, out: str = ".", seed: int = 0) -> LabResult:
    """Forward pass, E = ½(y - ŷ)², backward pass and one SGD step (γ = 1) of the
    lecture's network, with the traced table of every node."""
    net, y, lr = LectureNet(), 1.0, 1.0
    x = creation.tensor(X, dtype=dtypes.float64)
    with backprop_trace(net) as tracer:
        y_hat = net(x)
        y_hat.retain_grad()
        loss = 0.5 * (y - y_hat) ** 2
    table = str(tracer.backward(loss))
    h1 = net.h1.detach().numpy()
    d_theta2 = net.theta2.grad.numpy().copy()
    d_theta1 = net.theta1.grad.numpy().copy()
    d_y_hat = -(y - y_hat.item())  # ∂E/∂ŷ = -(y - ŷ)
    optim.SGD(net.parameters(), lr=lr).step()
    theta2_new = net.theta2.detach().numpy().copy()
    nums = {
        "theta1_T_x": (x.numpy() @ np.array(THETA1)).tolist(),
        "h1": h1.tolist(),
        "y_hat": y_hat.item(),
        "E": loss.item(),
        "dE_dy_hat": d_y_hat,
        "dE_dtheta2": d_theta2.tolist(),
        "theta2_after": theta2_new.tolist(),
        "dE_dtheta1": d_theta1.tolist(),
    }
    report = "\n".join(
        [
            SLIDE_NOTE,
            f"x = {_vec(X)}, Θ1 = {[list(r) for r in THETA1]}, Θ2 = {_vec(THETA2)}, y = 1, "
            "σ = sigmoid, no bias, E = ½(y - ŷ)², one SGD step with γ = 1",
            f"Θ1ᵀx          = {_vec(nums['theta1_T_x'])}",
            f"h1 = σ(Θ1ᵀx)  = {_vec(h1)}",
            f"ŷ = σ(Θ2·h1)  = {nums['y_hat']:.4f}",
            f"E             = {nums['E']:.4f}",
            f"∂E/∂ŷ         = {d_y_hat:.4f}",
            f"∂E/∂Θ2 = ∂E/∂ŷ · ŷ(1-ŷ) · h1 = {_vec(d_theta2)}",
            f"Θ2 ← Θ2 - γ ∂E/∂Θ2          = {_vec(theta2_new)}",
            "∂E/∂Θ1 = x ⊗ (∂E/∂ŷ · ŷ(1-ŷ) · Θ2 ⊙ h1(1-h1)) =",
            *(f"    {_vec(row)}" for row in d_theta1),
            "trace of the backward pass:",
            table,
        ]
    )
    finding = (
        f"The lecture's network gives h1 = {_vec(h1)}, ŷ = {nums['y_hat']:.4f}, "
        f"E = {nums['E']:.4f}, ∂E/∂ŷ = {d_y_hat:.4f}; one SGD step (γ = 1) moves Θ2 "
        f"from {_vec(THETA2)} to {_vec(theta2_new)}."
    )
    bars = {f"Θ1[{i},{j}]": {"∂E/∂θ": d_theta1[i, j]} for i in range(2) for j in range(3)}
    bars.update({f"Θ2[{j}]": {"∂E/∂θ": d_theta2[j]} for j in range(3)})
    path = save_plot(
        plots.plot_bars,
        bars,
        os.path.join(out, "lab_backprop.png"),
        "∂E/∂θ",
        "gradient of every weight, the lecture's network",
    )
    return LabResult("backprop", finding, nums, path, report)


def lab_graph(quick: bool = False, out: str = ".", seed: int = 0) -> LabResult:
    """The computational graph q = x + y, f = q z at x = -2, y = 5, z = -4: ∂f/∂z = q,
    ∂f/∂q = z, and the add gate passes ∂f/∂q to both x and y."""
    x, y, z = (
        creation.tensor(v, dtype=dtypes.float64, requires_grad=True) for v in (-2.0, 5.0, -4.0)
    )
    with backprop_trace() as tracer:
        q = x + y
        f = q * z
    table = str(tracer.backward(f))
    nums = {
        "q": q.item(),
        "f": f.item(),
        "df_dx": x.grad.item(),
        "df_dy": y.grad.item(),
        "df_dz": z.grad.item(),
    }
    report = "\n".join(
        [
            "x = -2, y = 5, z = -4;  q = x + y,  f = q z",
            f"forward:  q = {nums['q']:g},  f = {nums['f']:g}",
            f"backward: ∂f/∂q = z = {z.item():g},  ∂f/∂z = q = {nums['q']:g}",
            f"          ∂f/∂x = ∂f/∂q · 1 = {nums['df_dx']:g},  ∂f/∂y = ∂f/∂q · 1 = "
            f"{nums['df_dy']:g}",
            "trace of the backward pass:",
            table,
        ]
    )
    finding = (
        f"f = {nums['f']:g}; its gradients are ∂f/∂x = {nums['df_dx']:g}, "
        f"∂f/∂y = {nums['df_dy']:g}, ∂f/∂z = {nums['df_dz']:g}."
    )
    bars = {f"∂f/∂{n}": {"gradient": nums[f"df_d{n}"]} for n in "xyz"}
    path = save_plot(
        plots.plot_bars,
        bars,
        os.path.join(out, "lab_graph.png"),
        "gradient",
        "f = (x + y) z at x = -2, y = 5, z = -4",
    )
    return LabResult("graph", finding, nums, path, report)


def textbook_network():
    """The textbook 2-2-2 sigmoid network with biases (inputs .05, .10; targets .01, .99),
    which the trace tests use (the lecture's own example is above)."""
    net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid())
    net[0].weight._data[...] = [[0.15, 0.20], [0.25, 0.30]]
    net[0].bias._data[...] = 0.35
    net[2].weight._data[...] = [[0.40, 0.45], [0.50, 0.55]]
    net[2].bias._data[...] = 0.60
    net.double()
    x = creation.tensor([[0.05, 0.10]], dtype=np.float64)
    t = creation.tensor([[0.01, 0.99]], dtype=np.float64)
    return net, x, t


def squared_error(net, x, t):
    """E = Σ ½ (t - o)², the lecture's error."""
    return 0.5 * F.mse_loss(net(x), t, reduction="sum")


# ----- init ---------------------------------------------------------------------------
