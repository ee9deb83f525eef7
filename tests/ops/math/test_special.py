"""nerve/ops/math/special.py: float64 finite differences and PyTorch on the same inputs
for every Function; values against torch.special in float64 on wide grids and edges."""

import numpy as np
import pytest
import torch
from opcheck import Case, table_tests

import nerve
from nerve.ops.math import special as F

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4)) * 3
BESSEL_X = np.array([[-35.0, -4.0, -0.7, 0.0], [0.3, 2.5, 12.0, 31.0]])
PROB = np.array([[1e-20, 1e-6, 0.02, 0.3], [0.5, 0.77, 0.999, 1 - 1e-9]])
NDTR_X = np.array([[-40.0, -9.0, -3.0, -0.5], [0.0, 1.2, 4.0, 9.0]])
POS = rng.uniform(0.05, 3.0, (3, 4))
XLOG1PY_A = np.array([[0.0, 1.5, -2.0], [0.7, 0.0, 3.0]])
ABOVE_M1 = rng.uniform(-0.8, 3.0, (2, 3))
ERFCX_X = np.array([[-3.0, -1.0, 0.0, 0.5], [1.9, 2.1, 6.0, 40.0]])

CASES = [
    Case("I0e", F.i0e, torch.special.i0e, [BESSEL_X]),
    Case("I0e/normal", F.i0e, torch.special.i0e, [(2, 3)]),
    Case("I1", F.i1, torch.special.i1, [X]),
    Case("I1/zero", F.i1, torch.special.i1, [np.array([0.0, -1e-3, 5.0])]),
    Case("I1e", F.i1e, torch.special.i1e, [BESSEL_X]),
    Case("Ndtr", F.ndtr, torch.special.ndtr, [NDTR_X]),
    Case("Ndtri", F.ndtri, torch.special.ndtri, [PROB], rtol=1e-3, gradcheck=False),
    Case("Ndtri/central", F.ndtri, torch.special.ndtri, [np.array([[0.02, 0.3], [0.5, 0.77]])]),
    Case("LogNdtr", F.log_ndtr, torch.special.log_ndtr, [NDTR_X]),
    Case("LogNdtr/normal", F.log_ndtr, torch.special.log_ndtr, [(3, 2)]),
    Case("Erfcx", F.erfcx, torch.special.erfcx, [ERFCX_X]),
    Case("Entr", F.entr, torch.special.entr, [POS]),
    Case("Xlog1py", F.xlog1py, torch.special.xlog1py, [XLOG1PY_A, ABOVE_M1]),
    Case("Xlog1py/broadcast", F.xlog1py, torch.special.xlog1py, [(3, 1), ABOVE_M1[0]]),
]


table_tests(CASES, float64=True)


GRID = np.concatenate([np.linspace(-45, 45, 1801), [1e-8, -1e-8, 0.5, 100.0, 700.0, 1e5]])
EDGES = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])


@pytest.mark.parametrize("name", ["i0e", "i1e", "erfcx", "log_ndtr", "entr"])
def test_matches_torch_in_float64_with_edges(name):
    x = np.concatenate([GRID, EDGES])
    ours = getattr(F, name)(nerve.tensor(x)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-300, equal_nan=True)


def test_i1_and_ndtr_match_torch_in_float64():
    x = GRID[np.abs(GRID) < 700]
    np.testing.assert_allclose(
        F.i1(nerve.tensor(x)).numpy(), torch.special.i1(torch.tensor(x)).numpy(), rtol=1e-12
    )
    # torch's float64 ndtr is 0.5 (1 + erf): absolute accuracy only in the left tail (steps
    # of 2⁻⁵⁴, 0 below -8.3); nerve keeps the tail's relative accuracy
    ours, theirs = F.ndtr(nerve.tensor(GRID)).numpy(), torch.special.ndtr(torch.tensor(GRID))
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=6e-17)
    assert F.ndtr(nerve.tensor(-10.0, dtype=nerve.float64)).item() == pytest.approx(
        7.619853024160527e-24, rel=1e-13
    )


def test_ndtri_matches_torch_and_inverts_ndtr():
    p = np.concatenate(
        [
            np.logspace(-300, -1, 200),
            np.linspace(0.01, 0.99, 99),
            1 - np.logspace(-15, -2, 40),
            [0.0, 1.0, -0.1, 1.1, np.nan],
        ]
    )
    ours = F.ndtri(nerve.tensor(p)).numpy()
    theirs = torch.special.ndtri(torch.tensor(p)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True)
    y = ours[:339]
    back = F.ndtr(nerve.tensor(y)).numpy()
    np.testing.assert_allclose(back, p[:339], rtol=1e-11)


def test_log_ndtr_far_left_tail_is_finite():
    y = F.log_ndtr(nerve.tensor([-1e3, -1e5])).numpy()
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(
        y, torch.special.log_ndtr(torch.tensor([-1e3, -1e5])).numpy(), rtol=1e-6
    )


def test_entr_and_xlog1py_edges_like_torch():
    x = nerve.tensor([-1.0, 0.0, 0.5, 2.0], requires_grad=True)
    tx = torch.tensor([-1.0, 0.0, 0.5, 2.0], requires_grad=True)
    F.entr(x).sum().backward()
    torch.special.entr(tx).sum().backward()
    np.testing.assert_allclose(F.entr(x).detach().numpy(), torch.special.entr(tx).detach())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), equal_nan=True)
    a, b = [0.0, 0.0, 1.0], [-1.0, np.nan, -1.0]
    np.testing.assert_allclose(
        F.xlog1py(nerve.tensor(a), nerve.tensor(b)).numpy(),
        torch.special.xlog1py(torch.tensor(a), torch.tensor(b)).numpy(),
        equal_nan=True,
    )


ZETA_X = np.array([2.0, 3, 1, 0.5, 2, 2, -1, 2, 4.5, 30, 1.5, 2, 7, 1.0001, 3])
ZETA_Q = np.array([1.0, 2, 1, 1, 0, -1.5, 1, 1e-3, 100, 0.5, -3, -3.25, 0.01, 1, 1e6])


def test_hurwitz_zeta_matches_torch():
    ours = F.hurwitz_zeta(ZETA_X, ZETA_Q)
    theirs = torch.special.zeta(torch.tensor(ZETA_X), torch.tensor(ZETA_Q)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name", ["i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "erfcx", "entr"])
@pytest.mark.parametrize("dtype", [nerve.int64, nerve.bool, nerve.float64, nerve.float32])
def test_dtypes_like_torch(name, dtype):
    x = nerve.tensor([0, 1, 1], dtype=dtype)
    t = torch.tensor(
        [0, 1, 1],
        dtype=getattr(
            torch,
            np.dtype(dtype).name.replace("bool_", "bool")
            if np.dtype(dtype).kind != "b"
            else "bool",
        ),
    )
    assert getattr(F, name)(x).dtype == np.dtype(
        str(getattr(torch.special, name)(t).dtype).removeprefix("torch.")
    )
