"""nn.init against torch.nn.init: dirac_, sparse_, the deprecated aliases, and
trunc_normal_, orthogonal_, eye_, constant_, calculate_gain in detail."""

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.init as tinit

import nerve
from nerve.nn import init


def _pair(shape):
    return nerve.empty(*shape, dtype=nerve.float64), torch.empty(*shape, dtype=torch.float64)


@pytest.mark.parametrize(
    "shape, groups",
    [
        ((4, 2, 3), 1),
        ((6, 2, 3), 2),
        ((2, 3, 3, 3), 1),
        ((2, 3, 4, 4), 1),
        ((4, 4, 3, 3), 2),
        ((3, 2, 1, 3, 3), 1),
        ((6, 1, 2, 2, 2), 3),
        ((2, 5, 5), 1),
    ],
)
def test_dirac_is_exactly_torchs(shape, groups):
    n, t = _pair(shape)
    init.dirac_(n, groups=groups)
    tinit.dirac_(t, groups=groups)
    np.testing.assert_array_equal(n.numpy(), t.numpy())


def test_dirac_conv_passes_the_input_through():
    conv = nerve.nn.Conv2d(3, 3, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    x = nerve.randn(2, 3, 5, 5)
    np.testing.assert_allclose(conv(x).detach().numpy(), x.numpy(), atol=1e-6)


@pytest.mark.parametrize(
    "shape, groups, match", [((5, 2), 1, "3, 4, or 5"), ((5, 2, 3), 2, "divisible by groups")]
)
def test_dirac_errors_match_torch(shape, groups, match):
    with pytest.raises(ValueError, match=match):
        tinit.dirac_(torch.empty(*shape), groups=groups)
    with pytest.raises(ValueError, match=match):
        init.dirac_(nerve.empty(*shape), groups=groups)


@pytest.mark.parametrize("shape", [(2, 3), (3, 3), (4, 2)])
def test_eye_and_constant_are_exact(shape):
    n, t = _pair(shape)
    np.testing.assert_array_equal(init.eye_(n).numpy(), tinit.eye_(t).numpy())
    np.testing.assert_array_equal(init.constant_(n, 0.25).numpy(), tinit.constant_(t, 0.25).numpy())
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(nerve.empty(3))


@pytest.mark.parametrize("sparsity, rows", [(0.5, 4), (0.6, 4), (0.1, 50), (0.0, 5), (1.0, 3)])
def test_sparse_zeros_per_column_and_scale(sparsity, rows):
    nerve.manual_seed(0)  # the statistics below hold for this draw, not for every draw
    torch.manual_seed(0)
    n = init.sparse_(nerve.empty(rows, 400, dtype=nerve.float64), sparsity, std=0.1).numpy()
    t = tinit.sparse_(torch.empty(rows, 400, dtype=torch.float64), sparsity, std=0.1).numpy()
    np.testing.assert_array_equal((n == 0).sum(0), (t == 0).sum(0))
    assert ((n == 0).sum(0) == math.ceil(sparsity * rows)).all()
    if sparsity < 1:
        assert abs(n[n != 0].std() - 0.1) < 0.01 and abs(n[n != 0].mean()) < 0.01
    # which rows are zero varies from column to column
    if 0 < sparsity < 1:
        patterns = {tuple(np.flatnonzero(c == 0)) for c in n.T}
        assert len(patterns) >= min(10, math.comb(rows, math.ceil(sparsity * rows)))


def test_sparse_errors_and_generator():
    with pytest.raises(ValueError, match="2 dimensions"):
        init.sparse_(nerve.empty(2, 3, 4), 0.5)
    a = init.sparse_(nerve.empty(5, 5), 0.4, generator=nerve.Generator().manual_seed(3))
    b = init.sparse_(nerve.empty(5, 5), 0.4, generator=nerve.Generator().manual_seed(3))
    assert a.tolist() == b.tolist()


def _trunc_moments(mean, std, a, b):
    al, be = (a - mean) / std, (b - mean) / std
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * math.erfc(-z / math.sqrt(2))  # noqa: E731
    z = cdf(be) - cdf(al)
    m = (phi(al) - phi(be)) / z
    var = 1 + (al * phi(al) - be * phi(be)) / z - m * m
    return mean + std * m, std * math.sqrt(var)


@pytest.mark.parametrize(
    "mean, std, a, b",
    [
        (0.0, 1.0, -2.0, 2.0),
        (0.0, 1.0, -0.5, 1.0),
        (1.0, 0.5, 0.0, 3.0),
        (0.0, 1.0, 3.0, 4.0),
        (0.0, 0.02, -0.04, 0.04),
    ],
)
@pytest.mark.filterwarnings("ignore:mean is more than 2 std")
def test_trunc_normal_moments(mean, std, a, b):
    x = init.trunc_normal_(nerve.empty(40000, dtype=nerve.float64), mean, std, a, b).numpy()
    t = tinit.trunc_normal_(torch.empty(4000, dtype=torch.float32), mean, std, a, b).numpy()
    m, s = _trunc_moments(mean, std, a, b)
    assert x.min() >= a and x.max() <= b
    assert abs(x.mean() - m) < 5 * s / math.sqrt(len(x)) + 1e-12
    assert abs(x.std() - s) < 0.02 * s
    assert abs(t.mean() - m) < 5 * s / math.sqrt(len(t)) + 1e-12


def test_trunc_normal_far_window_warns_like_torch_and_stays_inside():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        tinit.trunc_normal_(torch.empty(10), mean=50.0, a=-2.0, b=2.0)
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        x = init.trunc_normal_(
            nerve.empty(10000, dtype=nerve.float64), mean=50.0, a=-2.0, b=2.0
        ).numpy()
    # the conditioned law is nearly exponential below b with rate 48: mean ≈ b - 1/48
    assert x.min() >= -2 and x.max() <= 2 and abs(x.mean() - (2 - 1 / 48)) < 2e-3


@pytest.mark.parametrize(
    "shape, gain", [((5, 3), 1.0), ((3, 5), 2.0), ((4, 2, 3, 3), 0.5), ((6, 6), 1.0)]
)
def test_orthogonal_rows_or_columns_are_orthonormal(shape, gain):
    w = init.orthogonal_(nerve.empty(*shape, dtype=nerve.float64), gain=gain).numpy()
    flat = w.reshape(shape[0], -1)
    small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(small, gain**2 * np.eye(len(small)), atol=1e-12)


def test_orthogonal_is_uniform_on_the_group():
    # Haar measure: E[Q₀₀] = 0 and E[Q₀₀²] = 1/n; an unsigned QR would bias Q₀₀'s sign
    vals = np.array(
        [
            init.orthogonal_(nerve.empty(4, 4, dtype=nerve.float64)).numpy()[0, 0]
            for _ in range(4000)
        ]
    )
    assert abs(vals.mean()) < 0.03 and abs((vals**2).mean() - 0.25) < 0.02


def test_orthogonal_edges_match_torch():
    assert init.orthogonal_(nerve.empty(0, 3)).shape == (0, 3)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(nerve.empty(3))


NONLINEARITIES = [
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
]


@pytest.mark.parametrize("name", NONLINEARITIES)
def test_calculate_gain_exact_value_and_type(name):
    ours, theirs = init.calculate_gain(name), tinit.calculate_gain(name)
    assert ours == theirs and type(ours) is type(theirs)


@pytest.mark.parametrize("param", [0.2, 1, 0, 3.5])
def test_calculate_gain_leaky_slope(param):
    assert init.calculate_gain("leaky_relu", param) == tinit.calculate_gain("leaky_relu", param)
    assert init.calculate_gain("tanh", param) == tinit.calculate_gain("tanh", param)


@pytest.mark.parametrize(
    "args, match",
    [
        (("leaky_relu", True), "not a valid number"),
        (("leaky_relu", "a"), "not a valid number"),
        (("gelu",), "Unsupported nonlinearity"),
    ],
)
def test_calculate_gain_errors(args, match):
    with pytest.raises(ValueError, match=match):
        tinit.calculate_gain(*args)
    with pytest.raises(ValueError, match=match):
        init.calculate_gain(*args)


DEPRECATED = {
    "uniform": (),
    "normal": (),
    "constant": (0.5,),
    "xavier_uniform": (),
    "xavier_normal": (),
    "kaiming_uniform": (),
    "kaiming_normal": (),
    "orthogonal": (),
    "sparse": (0.5,),
    "dirac": (),
    "eye": (),
}


@pytest.mark.parametrize("name", sorted(DEPRECATED))
def test_deprecated_aliases_warn_like_torch(name):
    shape = (3, 3, 3) if name == "dirac" else (3, 3)
    with pytest.warns(FutureWarning) as theirs:
        getattr(tinit, name)(torch.empty(*shape), *DEPRECATED[name])
    with pytest.warns(FutureWarning) as ours:
        out = getattr(init, name)(nerve.empty(*shape), *DEPRECATED[name])
    assert str(ours[0].message) == str(theirs[0].message)
    assert isinstance(out, nerve.Tensor) and out.shape == shape
    if name == "eye":
        assert out.tolist() == np.eye(3).tolist()


def test_underscore_forms_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.uniform_(nerve.empty(3))
        init.dirac_(nerve.empty(2, 2, 3))
        init.sparse_(nerve.empty(3, 2), 0.3)
