"""Matrix functions, decompositions and products (nerve/ops/linalg/decompositions.py, products.py):
float64 finite differences and torch on the same inputs."""

import numpy as np
import pytest
import torch
from opcheck import Case, Const, check_gradcheck, table_tests

import nerve

pytestmark = pytest.mark.filterwarnings("ignore:.*is deprecated")
rng = np.random.default_rng(3)
WELL = rng.standard_normal((3, 3)) + 3 * np.eye(3)  # well conditioned, det > 0
BATCH = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
NEG = np.diag([-2.0, 1.0, 1.5]) + 0.1 * rng.standard_normal((3, 3))  # det < 0
SPD = (lambda m: m @ m.T + 3 * np.eye(3))(rng.standard_normal((3, 3)))
SMALL = 0.3 * rng.standard_normal((3, 3))
SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
TALL = rng.standard_normal((4, 3))
WIDE = rng.standard_normal((2, 4))
SYM_EIG = np.diag([1.0, 2.5, 4.0]) + 0.1 * rng.standard_normal((3, 3))


def sym(a):
    return (a + a.mT) / 2


def svd_invariant(mod, full=False):
    """U diag(S) Vᵀ pieces whose signs do not matter: S, U Uᵀ-weighted, |U|, |V|."""

    def fn(a):
        u, s, v = mod(a)
        return s, u * u, v * v

    return fn


CASES = [
    Case("Det/square", nerve.det, torch.det, [WELL]),
    Case("Det/batched", lambda a: a.det(), lambda a: a.det(), [BATCH]),
    Case(
        "SlogDet/tuple", lambda a: tuple(nerve.slogdet(a)), lambda a: tuple(torch.slogdet(a)), [NEG]
    ),
    Case(
        "SlogDet/linalg_batched",
        lambda a: nerve.linalg.slogdet(a).logabsdet,
        lambda a: torch.linalg.slogdet(a).logabsdet,
        [BATCH],
    ),
    Case("SlogDet/logdet", nerve.logdet, torch.logdet, [WELL]),
    Case("Inverse/square", nerve.inverse, torch.inverse, [WELL], rtol=1e-3),
    Case("Inverse/linalg_batched", nerve.linalg.inv, torch.linalg.inv, [BATCH], rtol=1e-3),
    Case(
        "Inverse/matrix_power_neg",
        lambda a: nerve.matrix_power(a, -2),
        lambda a: torch.matrix_power(a, -2),
        [WELL],
        rtol=1e-3,
    ),
    Case("Solve/matrix", nerve.linalg.solve, torch.linalg.solve, [WELL, (3, 2)], rtol=1e-3),
    Case(
        "Solve/vector_batched", nerve.linalg.solve, torch.linalg.solve, [BATCH, (2, 3)], rtol=1e-3
    ),
    Case(
        "Solve/broadcast_right",
        lambda a, b: nerve.linalg.solve(a, b, left=False),
        lambda a, b: torch.linalg.solve(a, b, left=False),
        [WELL, (2, 4, 3)],
        rtol=1e-3,
    ),
    Case(
        "Cholesky/lower",
        lambda a: nerve.linalg.cholesky(sym(a)),
        lambda a: torch.linalg.cholesky(sym(a)),
        [SPD],
        rtol=1e-3,
    ),
    Case(
        "Cholesky/upper_torch",
        lambda a: nerve.cholesky(sym(a), upper=True),
        lambda a: torch.cholesky(sym(a), upper=True),
        [SPD],
        rtol=1e-3,
    ),
    Case("MatrixExp/small", nerve.matrix_exp, torch.matrix_exp, [SMALL], rtol=1e-3),
    Case(
        "MatrixExp/large_batched",
        nerve.linalg.matrix_exp,
        torch.linalg.matrix_exp,
        [2.0 * BATCH],
        rtol=1e-3,
        atol=1e-3,
    ),
    Case("Pinv/tall", nerve.linalg.pinv, torch.linalg.pinv, [TALL], rtol=1e-3),
    Case("Pinv/wide_pinverse", nerve.pinverse, torch.pinverse, [WIDE], rtol=1e-3),
    Case("Svd/tall", svd_invariant(nerve.svd), svd_invariant(torch.svd), [TALL], rtol=1e-3),
    Case("Svd/wide", svd_invariant(nerve.svd), svd_invariant(torch.svd), [WIDE], rtol=1e-3),
    Case(
        "Svd/square_linalg",
        svd_invariant(nerve.linalg.svd),
        svd_invariant(torch.linalg.svd),
        [WELL],
        rtol=1e-3,
    ),
    Case("Svd/values", nerve.linalg.svdvals, torch.linalg.svdvals, [TALL], rtol=1e-3),
    Case(
        "Eigh/vectors",
        lambda a: (lambda w, v: (w, v * v))(*nerve.linalg.eigh(sym(a))),
        lambda a: (lambda w, v: (w, v * v))(*torch.linalg.eigh(sym(a))),
        [SYM_EIG],
        rtol=1e-3,
    ),
    Case(
        "Eigh/values",
        lambda a: nerve.linalg.eigvalsh(sym(a)),
        lambda a: torch.linalg.eigvalsh(sym(a)),
        [BATCH],
        rtol=1e-3,
    ),
    Case(
        "Qr/forward",
        lambda a: tuple(x.abs() for x in nerve.linalg.qr(nerve.as_tensor(a))),
        lambda a: tuple(x.abs() for x in torch.linalg.qr(torch.as_tensor(a))),
        [Const(TALL.astype(np.float32))],
        gradcheck=False,
    ),
    # products (composites of MatMul)
    Case(
        "products/addmm",
        lambda m, a, b: nerve.addmm(m, a, b, beta=0.5, alpha=2),
        lambda m, a, b: torch.addmm(m, a, b, beta=0.5, alpha=2),
        [(3,), (2, 4), (4, 3)],
    ),
    Case(
        "products/addmm_beta0",
        lambda m, a, b: m.addmm(a, b, beta=0),
        lambda m, a, b: m.addmm(a, b, beta=0),
        [(2, 3), (2, 4), (4, 3)],
    ),
    Case(
        "products/baddbmm",
        lambda m, a, b: nerve.baddbmm(m, a, b, alpha=0.5),
        lambda m, a, b: torch.baddbmm(m, a, b, alpha=0.5),
        [(1, 3), (2, 2, 4), (2, 4, 3)],
    ),
    Case("products/addbmm", nerve.addbmm, torch.addbmm, [(2, 3), (2, 2, 4), (2, 4, 3)]),
    Case(
        "products/addmv",
        lambda m, a, v: m.addmv(a, v, beta=2),
        lambda m, a, v: m.addmv(a, v, beta=2),
        [(3,), (3, 4), (4,)],
    ),
    Case("products/addr", nerve.addr, torch.addr, [(3, 4), (3,), (4,)]),
    Case(
        "products/addcmul",
        lambda a, b, c: nerve.addcmul(a, b, c, value=0.5),
        lambda a, b, c: torch.addcmul(a, b, c, value=0.5),
        [(3, 4), (4,), (3, 1)],
    ),
    Case(
        "products/addcdiv",
        lambda a, b, c: a.addcdiv(b, c, value=2),
        lambda a, b, c: a.addcdiv(b, c, value=2),
        [(3, 4), (3, 4), 2 + np.ones((3, 4))],
    ),
    Case("products/mv", nerve.mv, torch.mv, [(3, 4), (4,)]),
    Case("products/inner", nerve.inner, torch.inner, [(2, 3), (4, 3)]),
    Case("products/inner_scalar", nerve.inner, torch.inner, [(), (2, 3)]),
    Case("products/vdot", nerve.vdot, torch.vdot, [(4,), (4,)]),
    Case("products/kron", nerve.kron, torch.kron, [(2, 3), (3, 2)]),
    Case("products/kron_ndim", nerve.kron, torch.kron, [(2,), (2, 3, 2)]),
    Case(
        "products/tensordot_int",
        lambda a, b: nerve.tensordot(a, b, 2),
        lambda a, b: torch.tensordot(a, b, 2),
        [(2, 3, 4), (3, 4, 5)],
    ),
    Case(
        "products/tensordot_lists",
        lambda a, b: nerve.tensordot(a, b, ([0, 2], [1, 0])),
        lambda a, b: torch.tensordot(a, b, ([0, 2], [1, 0])),
        [(2, 3, 4), (4, 2, 5)],
    ),
    Case("products/chain_matmul", nerve.chain_matmul, torch.chain_matmul, [(2, 3), (3, 4), (4, 2)]),
    Case(
        "products/multi_dot_vectors",
        lambda a, b, c: nerve.linalg.multi_dot([a, b, c]),
        lambda a, b, c: torch.linalg.multi_dot([a, b, c]),
        [(3,), (3, 4), (4,)],
    ),
    Case(
        "products/matrix_power", lambda a: a.matrix_power(5), lambda a: a.matrix_power(5), [SMALL]
    ),
    Case(
        "products/cross",
        lambda a, b: nerve.linalg.cross(a, b),
        lambda a, b: torch.linalg.cross(a, b),
        [(2, 3), (1, 3)],
    ),
    Case(
        "products/vecdot",
        lambda a, b: nerve.linalg.vecdot(a, b, dim=0),
        lambda a, b: torch.linalg.vecdot(a, b, dim=0),
        [(3, 2), (3, 2)],
    ),
]


table_tests(CASES)


def test_det_gradient_of_a_singular_matrix_is_its_cofactor_matrix():
    """torch returns 0 here; the true derivative (finite differences) is the cofactors."""
    check_gradcheck(Case("Det/singular", nerve.linalg.det, None, [SINGULAR]))
    a = nerve.tensor(SINGULAR, requires_grad=True)
    nerve.det(a).backward()
    np.testing.assert_allclose(a.grad.numpy(), [[4, 4, -4], [-2, -2, 2], [0, 0, 0]], atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float64_stays_float64_and_named_results(dtype):
    a = nerve.tensor(WELL.astype(dtype))
    assert nerve.det(a).dtype == dtype and nerve.inverse(a).dtype == dtype
    r = nerve.slogdet(a)
    assert type(r).__name__ == "slogdet" and r.sign is r[0]
    assert type(nerve.linalg.slogdet(a)).__name__ == "linalg_slogdet"
    u, s, v = nerve.svd(a)
    assert s.dtype == dtype and type(nerve.svd(a)).__name__ == "svd"
    np.testing.assert_allclose((u * s[None]) @ v.T, WELL.astype(dtype), rtol=1e-4, atol=1e-4)
    res = nerve.linalg.svd(a)
    assert type(res).__name__ == "linalg_svd" and res.Vh.shape == (3, 3)
    assert type(nerve.linalg.eigh(a)).__name__ == "linalg_eigh"
    assert type(nerve.linalg.qr(a)).__name__ == "linalg_qr"


def test_svd_shapes_follow_torch():
    for shape in ((4, 3), (2, 4), (2, 3, 5)):
        x = rng.standard_normal(shape).astype(np.float32)
        for some in (True, False):
            ours, theirs = (
                nerve.svd(nerve.tensor(x), some=some),
                torch.svd(torch.tensor(x), some=some),
            )
            assert [tuple(o.shape) for o in ours] == [tuple(t.shape) for t in theirs]
        for full in (True, False):
            ours = nerve.linalg.svd(nerve.tensor(x), full_matrices=full)
            theirs = torch.linalg.svd(torch.tensor(x), full_matrices=full)
            assert [tuple(o.shape) for o in ours] == [tuple(t.shape) for t in theirs]


def test_values_match_torch_on_edges():
    # An exactly singular matrix: LAPACK builds differ in the rounding of its LU (torch's
    # det is 0 on one machine and -6.7e-16 on another, so its logdet -inf or nan); nerve
    # must say singular, and torch's det must be rounding noise.
    ours = nerve.slogdet(nerve.tensor(SINGULAR))
    assert ours.sign.item() == 0 and ours.logabsdet.item() == -np.inf
    assert nerve.logdet(nerve.tensor(SINGULAR)).item() == -np.inf
    assert abs(torch.det(torch.tensor(SINGULAR)).item()) < 1e-12
    for a in (-np.eye(3), np.zeros((2, 2)), NEG):
        ours, theirs = nerve.tensor(a), torch.tensor(a)
        np.testing.assert_allclose(
            nerve.logdet(ours).numpy(), torch.logdet(theirs).numpy(), atol=1e-6
        )
        for o, t in zip(nerve.slogdet(ours), torch.slogdet(theirs)):
            np.testing.assert_allclose(o.numpy(), t.numpy(), atol=1e-6)
    x = nerve.tensor(SPD)
    assert nerve.matrix_power(x, 0).tolist() == np.eye(3).tolist()
    np.testing.assert_allclose(nerve.linalg.matrix_rank(nerve.tensor(SINGULAR)).numpy(), 2)
    np.testing.assert_allclose(
        nerve.linalg.cond(x).numpy(), torch.linalg.cond(torch.tensor(SPD)).numpy(), rtol=1e-6
    )
    np.testing.assert_allclose(
        nerve.linalg.vander(nerve.tensor([1.0, 2.0]), N=3).numpy(),
        torch.linalg.vander(torch.tensor([1.0, 2.0]), N=3).numpy(),
    )


def test_errors_are_torchs_types():
    sq = torch.zeros(2, 3)
    for nfn, tfn in (
        (nerve.det, torch.det),
        (nerve.inverse, torch.inverse),
        (nerve.linalg.cholesky, torch.linalg.cholesky),
    ):
        with pytest.raises(RuntimeError):
            tfn(sq)
        with pytest.raises(RuntimeError):
            nfn(nerve.zeros(2, 3))
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.inv(torch.zeros(3, 3))
    with pytest.raises(nerve.linalg.LinAlgError):
        nerve.linalg.inv(nerve.zeros(3, 3))
    with pytest.raises(RuntimeError, match="positive-definite"):
        nerve.linalg.cholesky(-nerve.eye(3))
    with pytest.raises(RuntimeError):
        nerve.addmm(nerve.zeros(2, 3), nerve.zeros(2, 4), nerve.zeros(3, 3))
    with pytest.raises(RuntimeError):
        nerve.mm(nerve.zeros(2, 2), nerve.zeros(2, 2, dtype=nerve.float64))
    with pytest.raises(RuntimeError):
        nerve.tensordot(nerve.zeros(2, 3), nerve.zeros(2, 3), 1)


def test_qr_backward_is_a_clear_error():
    a = nerve.tensor(TALL, requires_grad=True)
    q, r = nerve.linalg.qr(a)
    with pytest.raises(NotImplementedError, match="qr"):
        (q.sum() + r.sum()).backward()
