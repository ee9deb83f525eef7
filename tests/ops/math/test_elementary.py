import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
import nerve.nn.functional as F

rng = np.random.default_rng(0)
POS = np.abs(rng.standard_normal((3, 4))) + 0.1
WIDE = np.linspace(-5, 5, 24).reshape(4, 6)  # both branches of erf (|x| < 2 and beyond)

CASES = [
    Case("Log1p", nerve.log1p, torch.log1p, [POS]),
    Case("Log1p/method", lambda x: x.log1p(), lambda x: x.log1p(), [POS[:1]]),
    Case("Expm1", nerve.expm1, torch.expm1, [(3, 4)]),
    Case("Expm1/0d", lambda x: x.expm1(), lambda x: x.expm1(), [()]),
    Case("Erf", nerve.erf, torch.erf, [(3, 4)]),
    Case("Erf/tails", nerve.erf, torch.erf, [WIDE]),
    Case("Atan2", nerve.atan2, torch.atan2, [(3, 4), (3, 4)]),
    Case("Atan2/broadcast", lambda a, b: a.atan2(b), lambda a, b: a.atan2(b), [(2, 3), (3,)]),
    Case(
        "VectorNorm/2",
        lambda x: nerve.linalg.vector_norm(x),
        lambda x: torch.linalg.vector_norm(x),
        [(3, 4)],
    ),
    Case(
        "VectorNorm/1_dim",
        lambda x: nerve.linalg.vector_norm(x, 1, dim=1),
        lambda x: torch.linalg.vector_norm(x, 1, dim=1),
        [(3, 4)],
    ),
    Case(
        "VectorNorm/3_keepdim",
        lambda x: nerve.linalg.vector_norm(x, 3, (0, 2), True),
        lambda x: torch.linalg.vector_norm(x, 3, (0, 2), True),
        [(2, 3, 4)],
    ),
    Case(
        "VectorNorm/inf",
        lambda x: nerve.linalg.vector_norm(x, float("inf"), -1),
        lambda x: torch.linalg.vector_norm(x, float("inf"), -1),
        [(3, 4)],
    ),
    Case(
        "VectorNorm/-inf",
        lambda x: nerve.linalg.vector_norm(x, float("-inf"), 0),
        lambda x: torch.linalg.vector_norm(x, float("-inf"), 0),
        [(3, 4)],
    ),
    Case(
        "VectorNorm/0",
        lambda x: nerve.linalg.vector_norm(x, 0, 1),
        lambda x: torch.linalg.vector_norm(x, 0, 1),
        [(3, 4)],
    ),
    Case(
        "VectorNorm/half",
        lambda x: nerve.linalg.vector_norm(x, 0.5),
        lambda x: torch.linalg.vector_norm(x, 0.5),
        [POS],
    ),
    Case("VectorNorm/tensor_norm", lambda x: x.norm(dim=1), lambda x: x.norm(dim=1), [(3, 4)]),
    Case("VectorNorm/tensor_norm_p1", lambda x: x.norm(1), lambda x: x.norm(1), [(3, 4)]),
    Case("VectorNorm/normalize", lambda x: F.normalize(x), lambda x: TF.normalize(x), [(3, 4)]),
    Case(
        "VectorNorm/normalize_p1",
        lambda x: F.normalize(x, p=1, dim=-1),
        lambda x: TF.normalize(x, p=1, dim=-1),
        [(2, 3, 4)],
    ),
    Case("VectorNorm/cosine", F.cosine_similarity, TF.cosine_similarity, [(3, 4), (3, 4)]),
    Case(
        "VectorNorm/cosine_broadcast",
        lambda a, b: F.cosine_similarity(a, b, dim=-1),
        lambda a, b: TF.cosine_similarity(a, b, dim=-1),
        [(2, 3, 4), (3, 4)],
    ),
    Case("VectorNorm/pairwise", F.pairwise_distance, TF.pairwise_distance, [(3, 4), (3, 4)]),
    Case(
        "VectorNorm/pairwise_p1_keepdim",
        lambda a, b: F.pairwise_distance(a, b, p=1, keepdim=True),
        lambda a, b: TF.pairwise_distance(a, b, p=1, keepdim=True),
        [(3, 4), (3, 4)],
    ),
    Case(
        "Lerp/composite",
        lambda a, b: nerve.lerp(a, b, 0.3),
        lambda a, b: torch.lerp(a, b, 0.3),
        [(3, 4), (3, 4)],
    ),
    Case(
        "Lerp/tensor_weight",
        lambda a, b, w: a.lerp(b, w),
        lambda a, b, w: a.lerp(b, w),
        [(3, 4), (3, 4), (3, 4)],
    ),
]


table_tests(CASES)


def test_erf_keeps_relative_accuracy_for_tiny_and_large_arguments():
    x = np.array([1e-30, -1e-12, 1e-5, 1.9999, 2.0, 3.5, -6.0, 30.0], np.float64)
    got = nerve.erf(nerve.from_numpy(x)).numpy()
    want = torch.erf(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)


def test_log1p_expm1_are_exact_near_zero():
    x = nerve.tensor([1e-10, -1e-9], dtype=nerve.float32)
    np.testing.assert_allclose(nerve.log1p(x).numpy(), [1e-10, -1e-9], rtol=1e-6)
    np.testing.assert_allclose(nerve.expm1(x).numpy(), [1e-10, -1e-9], rtol=1e-6)


def test_integer_inputs_give_float32():
    i = nerve.tensor([0, 1, 2])
    for fn in (nerve.log1p, nerve.expm1, nerve.erf):
        assert fn(i).dtype == nerve.float32


def test_norm_does_not_overflow_in_float32():
    x = nerve.tensor([3e30, 4e30], dtype=nerve.float32)
    assert np.isclose(nerve.linalg.vector_norm(x).item(), 5e30, rtol=1e-6)
    tiny = nerve.tensor([3e-30, 4e-30], dtype=nerve.float32)
    assert np.isclose(nerve.linalg.vector_norm(tiny).item(), 5e-30, rtol=1e-6)


def test_norm_gradient_at_zero_is_zero_as_in_torch():
    x = nerve.zeros(3, requires_grad=True)
    nerve.linalg.vector_norm(x).backward()
    t = torch.zeros(3, requires_grad=True)
    torch.linalg.vector_norm(t).backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_normalize_of_zero_rows_is_zero():
    x = nerve.zeros(2, 3, requires_grad=True)
    y = F.normalize(x)
    assert not np.isnan(y.detach().numpy()).any()
    y.sum().backward()
    assert not np.isnan(x.grad.numpy()).any()


def test_vector_norm_rejects_integer_input():
    with pytest.raises(RuntimeError, match="floating point"):
        nerve.linalg.vector_norm(nerve.tensor([1, 2]))


def test_isclose_matches_torch():
    a = np.array([1.0, 1.0 + 1e-6, 2.0, np.nan], np.float32)
    b = np.array([1.0, 1.0, 2.1, np.nan], np.float32)
    got = nerve.isclose(nerve.from_numpy(a), nerve.from_numpy(b), equal_nan=True)
    want = torch.isclose(torch.from_numpy(a), torch.from_numpy(b), equal_nan=True)
    assert got.dtype == nerve.bool
    np.testing.assert_array_equal(got.numpy(), want.numpy())
