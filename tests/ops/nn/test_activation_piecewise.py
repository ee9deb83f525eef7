"""Shrinks, threshold, GLU, CELU, hard sigmoid/swish, softsign, tanhshrink, softmin:
float64 finite differences and PyTorch."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
import nerve.nn.functional as F
from nerve.ops.nn import activation_piecewise as activation_more

rng = np.random.default_rng(0)


def _away(x, kinks, gap=0.05):
    """Move points off the kinks so that finite differences are smooth there."""
    for k in kinks:
        x = np.where(np.abs(x - k) < gap, x + 2 * gap, x)
    return x


X = _away(rng.standard_normal((3, 4)), [0, 0.5, -0.5])
X5 = _away(rng.standard_normal((3, 4)) * 4, [-3, 3, 0, 0.2, 1.5, -1.5])
WIDE = np.linspace(-30, 30, 12).reshape(3, 4) + 0.01
X3 = rng.standard_normal((2, 6, 2))

CASES = [
    Case("Softsign", F.softsign, TF.softsign, [X]),
    Case("Softsign/wide", F.softsign, TF.softsign, [WIDE]),
    Case("Softshrink", F.softshrink, TF.softshrink, [X]),
    Case("Softshrink/lambd", lambda x: F.softshrink(x, 1.5), lambda x: TF.softshrink(x, 1.5), [X5]),
    Case("Softshrink/zero", lambda x: F.softshrink(x, 0.0), lambda x: TF.softshrink(x, 0.0), [X]),
    Case("Hardshrink", F.hardshrink, TF.hardshrink, [X]),
    Case("Hardshrink/lambd", lambda x: F.hardshrink(x, 1.5), lambda x: TF.hardshrink(x, 1.5), [X5]),
    Case(
        "Threshold", lambda x: F.threshold(x, 0.2, -2.0), lambda x: TF.threshold(x, 0.2, -2.0), [X5]
    ),
    Case(
        "Threshold/value",
        lambda x: F.threshold(x, -1.5, 20),
        lambda x: TF.threshold(x, -1.5, 20),
        [X5],
    ),
    Case("GLU", F.glu, TF.glu, [X]),
    Case("GLU/dim1", lambda x: F.glu(x, 1), lambda x: TF.glu(x, 1), [X3]),
    Case("GLU/dim0", lambda x: F.glu(x, 0), lambda x: TF.glu(x, 0), [(4, 3)]),
    Case("GLU/wide", F.glu, TF.glu, [WIDE]),
    Case("CELU", F.celu, TF.celu, [X]),
    Case("CELU/alpha", lambda x: F.celu(x, 0.5), lambda x: TF.celu(x, 0.5), [X5]),
    Case("CELU/alpha_big", lambda x: F.celu(x, 3.0), lambda x: TF.celu(x, 3.0), [X5]),
    Case("CELU/wide", F.celu, TF.celu, [WIDE]),
    Case("Hardsigmoid", F.hardsigmoid, TF.hardsigmoid, [X5]),
    Case("Hardswish", F.hardswish, TF.hardswish, [X5]),
    Case("Hardswish/wide", F.hardswish, TF.hardswish, [WIDE]),
    Case("tanhshrink", F.tanhshrink, TF.tanhshrink, [X]),
    Case("tanhshrink/wide", F.tanhshrink, TF.tanhshrink, [WIDE]),
    Case("softmin", lambda x: F.softmin(x, 1), lambda x: TF.softmin(x, 1), [X5]),
    Case("softmin/dim0", lambda x: F.softmin(x, 0), lambda x: TF.softmin(x, 0), [X3]),
    Case("softmin/wide", lambda x: F.softmin(x, -1), lambda x: TF.softmin(x, -1), [WIDE]),
    Case("Softsign/scalar", F.softsign, TF.softsign, [np.array(-1.5)]),
    Case("Hardswish/noncontig", lambda x: F.hardswish(x.T), lambda x: TF.hardswish(x.T), [X5]),
]


table_tests(CASES, float64=True, covers=activation_more)


@pytest.mark.parametrize("name", ["hardswish", "hardsigmoid", "softshrink", "hardshrink"])
def test_kinks_take_torchs_slope(name):
    pts = [-3.0, 3.0, -0.5, 0.5, 0.0, 1.0]
    x, xt = nerve.tensor(pts, requires_grad=True), torch.tensor(pts, requires_grad=True)
    getattr(F, name)(x).sum().backward()
    getattr(TF, name)(xt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6)


def test_threshold_at_the_threshold_and_int_input():
    pts = [0.5, 0.4, 0.6]
    x, xt = nerve.tensor(pts, requires_grad=True), torch.tensor(pts, requires_grad=True)
    F.threshold(x, 0.5, 9.0).sum().backward()
    TF.threshold(xt, 0.5, 9.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())
    y = F.threshold(nerve.arange(5), 2, 7)
    yt = TF.threshold(torch.arange(5), 2, 7)
    np.testing.assert_array_equal(y.numpy(), yt.numpy())
    assert y.dtype == nerve.int64


@pytest.mark.parametrize(
    "fn",
    [
        F.softsign,
        F.celu,
        F.hardswish,
        F.hardsigmoid,
        F.tanhshrink,
        F.glu,
        lambda x: F.softmin(x, 0),
    ],
)
def test_stable_for_huge_inputs(fn):
    x = nerve.tensor([-1e4, -80.0, 0.0, 80.0, 1e4, 3.0], dtype=nerve.float32, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    assert np.isfinite(y.detach().numpy()).all() and np.isfinite(x.grad.numpy()).all()
    assert y.dtype == nerve.float32 and x.grad.dtype == nerve.float32


@pytest.mark.parametrize(
    "name,args",
    [("threshold", (0.0, -1.0)), ("celu", (0.5,)), ("hardsigmoid", ()), ("hardswish", ())],
)
def test_inplace_flag(name, args):
    data = np.array([-4.0, -1.0, 0.5, 4.0], np.float32)
    x = nerve.tensor(data)
    expected = getattr(TF, name)(torch.tensor(data), *args).numpy()
    assert getattr(F, name)(x, *args, inplace=True) is x
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6)
    # in a graph (on a non-leaf, as torch requires) values and gradients are torch's
    leaf, tleaf = nerve.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y = getattr(F, name)(leaf * 2, *args, inplace=True)
    ty = getattr(TF, name)(tleaf * 2, *args, inplace=True)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(leaf.grad.numpy(), tleaf.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_functional_inplace_forms():
    x = nerve.tensor([-1.0, 0.3, 2.0])
    assert F.threshold_(x, 0.5, 0.0) is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 0.0, 2.0])
    x = nerve.tensor([-1.0, 0.3, 2.0])
    F.celu_(x, 2.0)
    np.testing.assert_allclose(
        x.numpy(), TF.celu(torch.tensor([-1.0, 0.3, 2.0]), 2.0).numpy(), rtol=1e-6
    )


def test_softmin_implicit_dim_and_dtype():
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = TF.softmin(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(F.softmin(nerve.tensor(x)).numpy(), expected, rtol=1e-5)
    y = F.softmin(nerve.tensor(x), 1, dtype=nerve.float64)
    assert y.dtype == nerve.float64


def test_errors_match_torch():
    with pytest.raises(RuntimeError, match="glu.*dimension 1 is size 3"):
        F.glu(nerve.ones(2, 3))
    with pytest.raises(RuntimeError, match="scalars"):
        F.glu(nerve.tensor(1.0))
    with pytest.raises(IndexError, match="glu"):
        F.glu(nerve.ones(2, 4), 5)
    with pytest.raises(RuntimeError, match="softshrink: lambda"):
        F.softshrink(nerve.ones(3), -1.0)
    with pytest.raises(RuntimeError, match="celu.*alpha cannot be 0"):
        F.celu(nerve.ones(3), 0.0)
    with pytest.raises(NotImplementedError, match="hardsigmoid"):
        F.hardsigmoid(nerve.arange(3))
    F.hardshrink(nerve.ones(3), -1.0)  # torch accepts a negative lambda here
