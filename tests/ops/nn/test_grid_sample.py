"""grid_sample and affine_grid: float64 finite differences and PyTorch, every mode,
padding mode and align_corners."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
import nerve.nn.functional as F

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 5, 6))
GRID = rng.uniform(-1.3, 1.3, (2, 4, 3, 2))  # reaches past the edges
INSIDE = rng.uniform(-0.9, 0.9, (1, 3, 3, 2))
THETA = rng.standard_normal((2, 2, 3))


def _sample(mode, padding, align):
    return Case(
        f"GridSample/{mode}_{padding}_{'ac' if align else 'noac'}",
        lambda x, g: F.grid_sample(x, g, mode, padding, align),
        lambda x, g: TF.grid_sample(x, g, mode, padding, align),
        [X, GRID],
        gradcheck=mode == "bilinear",
    )


CASES = [
    _sample(*c)
    for c in itertools.product(
        ("bilinear", "nearest"), ("zeros", "border", "reflection"), (False, True)
    )
] + [
    Case(
        "GridSample/one_channel_inside",
        lambda x, g: F.grid_sample(x, g, align_corners=True),
        lambda x, g: TF.grid_sample(x, g, align_corners=True),
        [(1, 1, 4, 4), INSIDE],
    ),
    Case(
        "GridSample/size1_image",
        lambda x, g: F.grid_sample(x, g, padding_mode="reflection", align_corners=False),
        lambda x, g: TF.grid_sample(x, g, padding_mode="reflection", align_corners=False),
        [(1, 2, 1, 3), INSIDE],
    ),
    Case(
        "GridSample/spatial_transformer",
        lambda x, t: F.grid_sample(x, F.affine_grid(t, (2, 3, 4, 4), False), align_corners=False),
        lambda x, t: TF.grid_sample(x, TF.affine_grid(t, (2, 3, 4, 4), False), align_corners=False),
        [X, THETA * 0.7],
    ),
]


table_tests(CASES)


@pytest.mark.parametrize(
    "size,theta_shape",
    [((2, 3, 4, 5), (2, 2, 3)), ((2, 1, 1, 3), (2, 2, 3)), ((2, 3, 4, 5, 6), (2, 3, 4))],
)
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid(size, theta_shape, align):
    theta = rng.standard_normal(theta_shape)
    tn, tt = nerve.tensor(theta, requires_grad=True), torch.tensor(theta, requires_grad=True)
    g, tg = F.affine_grid(tn, size, align), TF.affine_grid(tt, size, align)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), atol=1e-12)
    w = rng.standard_normal(g.shape)
    (g * nerve.tensor(w)).sum().backward()
    (tg * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(tn.grad.numpy(), tt.grad.numpy(), atol=1e-12)


def test_float32_stays_float32():
    x = nerve.randn(1, 2, 3, 3)
    g = F.affine_grid(nerve.tensor(np.eye(2, 3, dtype=np.float32)[None]), (1, 2, 3, 3), False)
    assert g.dtype == nerve.float32
    y = F.grid_sample(x, g, align_corners=False)
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-6)  # identity transform


@pytest.mark.parametrize(
    "call,exc",
    [
        (lambda m: m.grid_sample(m.x, m.g, mode="cubic"), ValueError),
        (lambda m: m.grid_sample(m.x, m.g, padding_mode="wrap"), ValueError),
        (lambda m: m.grid_sample(m.x, m.g[:1]), RuntimeError),
        (lambda m: m.grid_sample(m.x, m.g[..., :1]), RuntimeError),
        (lambda m: m.affine_grid(m.t[:, :1], (2, 3, 4, 4)), ValueError),
    ],
)
def test_errors_match_torch(call, exc):
    class Ours:
        grid_sample, affine_grid = F.grid_sample, F.affine_grid
        x, g, t = nerve.tensor(X), nerve.tensor(GRID), nerve.tensor(THETA)

    class Theirs:
        grid_sample, affine_grid = TF.grid_sample, TF.affine_grid
        x, g, t = torch.from_numpy(X), torch.from_numpy(GRID), torch.from_numpy(THETA)

    with pytest.raises(exc):
        call(Theirs)
    with pytest.raises(exc):
        call(Ours)
