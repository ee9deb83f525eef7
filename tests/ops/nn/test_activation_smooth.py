"""The rectifier family and smooth activations: float64 finite differences and PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, all_functions, on_device_of, table_tests

import nerve
import nerve.nn.functional as F
from nerve.ops.nn import activation

rng = np.random.default_rng(0)
# keep points away from the kinks so that finite differences are smooth there
X = rng.standard_normal((3, 4))
X[np.abs(X) < 0.05] += 0.2
NOISE = np.where(X <= 0, rng.uniform(1 / 8, 1 / 3, X.shape), 1.0)
WIDE = np.linspace(-30, 30, 12).reshape(3, 4) + 0.01


def _crelu_torch(x, dim=1):
    return torch.cat([torch.relu(x), torch.relu(-x)], dim)


CASES = [
    Case("LeakyReLU", F.leaky_relu, TF.leaky_relu, [X]),
    Case("LeakyReLU/slope", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), [X]),
    Case("PReLU/shared", F.prelu, TF.prelu, [X, np.array([0.25])]),
    Case(
        "PReLU/channels",
        F.prelu,
        TF.prelu,
        [X[:, :, None] * np.ones((1, 1, 2)), np.array([0.1, 0.2, 0.3, -0.4])],
    ),
    Case("PReLU/2d", F.prelu, TF.prelu, [X.reshape(3, 2, 2), np.array([0.3, 0.7])]),
    Case(
        "RReLU/train",
        lambda x: activation.RReLU.apply(x, on_device_of(NOISE.astype(x.dtype), x)),
        lambda x: (
            x
            * torch.from_numpy(NOISE.astype(np.float32 if x.dtype == torch.float32 else np.float64))
        ),
        [X],
    ),
    Case("RReLU/eval", lambda x: F.rrelu(x), lambda x: TF.rrelu(x, training=False), [X]),
    Case("CReLU", F.crelu, _crelu_torch, [X]),
    Case("CReLU/dim0", lambda x: F.crelu(x, 0), lambda x: _crelu_torch(x, 0), [X]),
    Case("CReLU/3d", F.crelu, _crelu_torch, [X.reshape(2, 3, 2)]),
    Case("ELU", F.elu, TF.elu, [X]),
    Case("ELU/alpha", lambda x: F.elu(x, 0.5), lambda x: TF.elu(x, 0.5), [X]),
    Case("ELU/wide", F.elu, TF.elu, [WIDE]),
    Case("ELU/selu", F.selu, TF.selu, [X]),
    Case("Softplus", F.softplus, TF.softplus, [X]),
    Case(
        "Softplus/beta",
        lambda x: F.softplus(x, 2.0, 5.0),
        lambda x: TF.softplus(x, 2.0, 5.0),
        [X * 3],
    ),
    Case("Softplus/wide", F.softplus, TF.softplus, [WIDE]),
    Case("LogSigmoid", F.logsigmoid, TF.logsigmoid, [X]),
    Case("LogSigmoid/wide", F.logsigmoid, TF.logsigmoid, [WIDE * 3]),
    Case("SiLU", F.silu, TF.silu, [X]),
    Case("SiLU/wide", F.silu, TF.silu, [WIDE]),
    Case("Mish", F.mish, TF.mish, [X]),
    Case("Mish/wide", F.mish, TF.mish, [WIDE]),
    Case("Hardtanh", F.hardtanh, TF.hardtanh, [X * 2]),
    Case(
        "Hardtanh/range",
        lambda x: F.hardtanh(x, -0.5, 2.0),
        lambda x: TF.hardtanh(x, -0.5, 2.0),
        [X * 2],
    ),
    Case("Hardtanh/relu6", F.relu6, TF.relu6, [X * 5]),
    Case("LeakyReLU/scalar", F.leaky_relu, TF.leaky_relu, [np.array(-1.5)]),
    Case("SiLU/noncontig", lambda x: F.silu(x.T), lambda x: TF.silu(x.T), [X]),
]


table_tests(CASES)


def test_every_new_function_has_a_case():
    covered = {c.name.split("/")[0] for c in CASES}
    old = {"Tanh", "Sigmoid", "ReLU", "Softmax", "LogSoftmax"}
    assert all_functions(activation) - old <= covered


@pytest.mark.parametrize("fn", [F.gelu, F.silu, F.mish, F.softplus, F.logsigmoid, F.elu])
def test_stable_for_huge_inputs(fn):
    x = nerve.tensor([-1e4, -80.0, 0.0, 80.0, 1e4], dtype=nerve.float32, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    assert np.isfinite(y.detach().numpy()).all() and np.isfinite(x.grad.numpy()).all()
    assert y.dtype == nerve.float32 and x.grad.dtype == nerve.float32


def test_rrelu_training_slopes_in_range_and_reproducible():
    x = -nerve.ones(10_000)
    nerve.manual_seed(3)
    y = F.rrelu(x, training=True).numpy()
    slopes = -y
    assert slopes.min() >= 1 / 8 and slopes.max() <= 1 / 3
    assert abs(slopes.mean() - (1 / 8 + 1 / 3) / 2) < 0.005
    nerve.manual_seed(3)
    np.testing.assert_array_equal(F.rrelu(x, training=True).numpy(), y)
    pos = nerve.ones(5)
    np.testing.assert_array_equal(F.rrelu(pos, training=True).numpy(), np.ones(5))


def test_prelu_channel_mismatch_raises():
    with pytest.raises(RuntimeError, match="channel size = 3"):
        F.prelu(nerve.ones(2, 3), nerve.ones(4))


def test_gelu_bad_approximate():
    with pytest.raises(RuntimeError, match="approximate"):
        F.gelu(nerve.ones(2), approximate="erf")


def test_normal_cdf_accuracy():
    import math

    x = np.linspace(-12, 12, 2001)
    ref = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    got = activation._normal_cdf(x)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-15)


def test_normal_cdf_f32_fast_path_agrees_with_the_series():
    x = np.linspace(-9, 8, 20001).astype(np.float32)
    got = activation._normal_cdf_f32(x)
    assert got.dtype == np.float32
    # relative in the lower tail too (1 + erf would cancel there)
    np.testing.assert_allclose(got, activation._normal_cdf(x), rtol=1e-5, atol=0)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float32_fast_path_agrees_with_the_formula(approximate):
    x = np.linspace(-10, 10, 4001).astype(np.float32)
    dy = np.random.default_rng(2).standard_normal(x.shape).astype(np.float32)
    xt = nerve.tensor(x, requires_grad=True)
    y = F.gelu(xt, approximate=approximate)
    y.backward(nerve.tensor(dy))
    x64 = x.astype(np.float64)
    if approximate == "tanh":
        t = np.tanh(np.sqrt(2 / np.pi) * (x64 + 0.044715 * x64**3))
        want = 0.5 * x64 * (1 + t)
        dwant = dy * (
            0.5 * (1 + t)
            + 0.5 * x64 * (1 - t * t) * np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * x64**2)
        )
    else:
        cdf = activation._normal_cdf(x64)
        want = x64 * cdf
        dwant = dy * (cdf + x64 * np.exp(-x64 * x64 / 2) / np.sqrt(2 * np.pi))
    assert y.dtype == nerve.float32 and xt.grad.dtype == nerve.float32
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=2e-6, atol=2e-7)
    np.testing.assert_allclose(xt.grad.numpy(), dwant, rtol=2e-5, atol=2e-6)
