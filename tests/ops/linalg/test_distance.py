"""Distances and second moments (nerve/ops/linalg/distance.py): cdist for every p, pdist, dist,
cov, corrcoef, renorm, in float64 finite differences and against torch."""

import numpy as np
import pytest
import torch
from opcheck import Case, Const, table_tests

import nerve

rng = np.random.default_rng(7)
FW = np.array([1, 2, 1, 3], np.int64)
AW = np.array([0.5, 1.0, 2.0, 0.25])
DUP = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, -1.0]])  # a zero distance

CASES = [
    Case("Cdist/p2", nerve.cdist, torch.cdist, [(4, 3), (5, 3)]),
    Case(
        "Cdist/p2_mm",
        lambda a, b: nerve.cdist(a, b),
        lambda a, b: torch.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
        [(2, 4, 3), (1, 5, 3)],
    ),
    Case(
        "Cdist/p1",
        lambda a, b: nerve.cdist(a, b, p=1),
        lambda a, b: torch.cdist(a, b, p=1),
        [(3, 2), (4, 2)],
    ),
    Case(
        "Cdist/p3_batched",
        lambda a, b: nerve.cdist(a, b, 3),
        lambda a, b: torch.cdist(a, b, 3),
        [(2, 3, 2), (2, 4, 2)],
    ),
    Case(
        "Cdist/p_half",
        lambda a, b: nerve.cdist(a, b, 0.5),
        lambda a, b: torch.cdist(a, b, 0.5),
        [(3, 2), (2, 2)],
        rtol=1e-3,
    ),
    Case(
        "Cdist/inf",
        lambda a, b: nerve.cdist(a, b, float("inf")),
        lambda a, b: torch.cdist(a, b, float("inf")),
        [(3, 4), (2, 4)],
    ),
    Case(
        "Cdist/p0",
        lambda a, b: nerve.cdist(a, b, 0),
        lambda a, b: torch.cdist(a, b, 0),
        [(3, 4), (2, 4)],
    ),
    Case("Cdist/zero_distance", nerve.cdist, torch.cdist, [DUP, DUP], gradcheck=False),
    Case("distance/pdist", nerve.pdist, torch.pdist, [(5, 3)]),
    Case("distance/pdist_p1", lambda x: nerve.pdist(x, 1), lambda x: torch.pdist(x, 1), [(4, 3)]),
    Case("distance/pdist_zero", nerve.pdist, torch.pdist, [DUP], gradcheck=False),
    Case("distance/dist", nerve.dist, torch.dist, [(3, 4), (4,)]),
    Case(
        "distance/dist_p3", lambda a, b: a.dist(b, 3), lambda a, b: a.dist(b, 3), [(3, 4), (3, 4)]
    ),
    Case("distance/cov", nerve.cov, torch.cov, [(3, 5)]),
    Case("distance/cov_1d", lambda x: x.cov(correction=0), lambda x: x.cov(correction=0), [(6,)]),
    Case(
        "distance/cov_weights",
        lambda x: nerve.cov(
            x,
            fweights=nerve.tensor(FW, device=x.device),
            aweights=nerve.tensor(AW, dtype=x.dtype, device=x.device),
        ),
        lambda x: torch.cov(x, fweights=torch.tensor(FW), aweights=torch.tensor(AW, dtype=x.dtype)),
        [(3, 4)],
    ),
    Case(
        "distance/cov_fweights_c0",
        lambda x: nerve.cov(x, correction=0, fweights=nerve.tensor(FW, device=x.device)),
        lambda x: torch.cov(x, correction=0, fweights=torch.tensor(FW)),
        [(2, 4)],
    ),
    Case("distance/corrcoef", nerve.corrcoef, torch.corrcoef, [(3, 6)]),
    Case("distance/renorm", lambda x: x.renorm(2, 0, 1.5), lambda x: x.renorm(2, 0, 1.5), [(4, 3)]),
    Case(
        "distance/renorm_p1_dim1",
        lambda x: nerve.renorm(x, 1, 1, 2.0),
        lambda x: torch.renorm(x, 1, 1, 2.0),
        [(3, 4, 2)],
    ),
    Case(
        "distance/cdist_const_rhs",
        lambda a, b: nerve.cdist(a, nerve.as_tensor(b)),
        lambda a, b: torch.cdist(a, torch.as_tensor(b)),
        [(3, 2), Const(np.ones((2, 2), np.float32))],
        gradcheck=False,
    ),
]


table_tests(CASES)


def test_values_and_dtypes_as_torch():
    i = np.array([1, 2, 4])
    assert nerve.cov(nerve.tensor(i)).dtype == torch.cov(torch.tensor(i)).numpy().dtype
    np.testing.assert_allclose(nerve.corrcoef(nerve.tensor([1.0, 2.0, 4.0])).numpy(), 1.0)
    a = rng.standard_normal((30, 3)).astype(np.float32)
    np.testing.assert_allclose(
        nerve.cdist(nerve.tensor(a), nerve.tensor(a)).numpy(),
        torch.cdist(torch.tensor(a), torch.tensor(a)).numpy(),
        atol=1e-3,
    )
    assert nerve.pdist(nerve.zeros(1, 3)).shape == (0,)


def test_errors_are_torchs_types():
    pairs = [
        (lambda m: m.cdist(m.zeros(3, 2), m.zeros(3, 4)), RuntimeError),
        (lambda m: m.cdist(m.zeros(3), m.zeros(3)), RuntimeError),
        (lambda m: m.cdist(m.zeros(3, 2), m.zeros(3, 2), -1), RuntimeError),
        (lambda m: m.pdist(m.zeros(3)), RuntimeError),
        (lambda m: m.cov(m.zeros(2, 2, 2)), RuntimeError),
        (lambda m: m.renorm(m.zeros(3), 2, 0, 1.0), RuntimeError),
    ]
    for fn, err in pairs:
        with pytest.raises(err):
            fn(torch)
        with pytest.raises(err):
            fn(nerve)
