"""The linear op y = x Wᵀ + b: finite differences and PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
import nerve.nn.functional as F
from nerve.ops.nn import linear

CASES = [
    Case("LinearFn", F.linear, TF.linear, [(5, 3), (4, 3), (4,)]),
    Case("LinearFn/nobias", F.linear, TF.linear, [(5, 3), (4, 3)]),
    Case("LinearFn/3d", F.linear, TF.linear, [(2, 5, 3), (4, 3), (4,)]),
    Case("LinearFn/4d", F.linear, TF.linear, [(2, 1, 2, 3), (2, 3), (2,)]),
    Case("LinearFn/1d", F.linear, TF.linear, [(3,), (4, 3), (4,)]),
    Case("LinearFn/batch1", F.linear, TF.linear, [(1, 3), (1, 3), (1,)]),
    Case(
        "LinearFn/noncontig",
        lambda x, w, b: F.linear(x.T, w, b),
        lambda x, w, b: TF.linear(x.T, w, b),
        [(3, 5), (4, 3), (4,)],
    ),
]


table_tests(CASES, covers=linear)


def test_shape_error_is_clear():
    with pytest.raises(RuntimeError, match=r"linear.*\(2, 5\).*\(4, 3\)"):
        F.linear(nerve.ones(2, 5), nerve.ones(4, 3))
    with pytest.raises(RuntimeError, match="bias"):
        F.linear(nerve.ones(2, 3), nerve.ones(4, 3), nerve.ones(5))
    with pytest.raises(RuntimeError, match="same dtype"):
        F.linear(nerve.ones(2, 3, dtype=nerve.float64), nerve.ones(4, 3))
    with pytest.raises(RuntimeError):
        torch.nn.functional.linear(torch.ones(2, 3, dtype=torch.float64), torch.ones(4, 3))


def test_one_gemm_node_and_float32():
    x = nerve.randn(2, 3, requires_grad=True)
    w = nerve.randn(4, 3, requires_grad=True)
    y = F.linear(x, w, nerve.zeros(4))
    assert type(y.grad_fn).__name__ == "LinearFn"
    assert y.dtype == nerve.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    assert isinstance(w.grad, nerve.Tensor)


def test_matches_numpy():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((6, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    y = F.linear(nerve.tensor(x), nerve.tensor(w), nerve.tensor(b))
    np.testing.assert_allclose(y.numpy(), x @ w.T + b, rtol=1e-6)
    assert torch.allclose(torch.from_numpy(y.numpy()), torch.from_numpy(x @ w.T + b))
