"""nerve/ops/math/transcendental.py and special.py: float64 finite differences and PyTorch on the
same inputs; the special functions against torch in float64 on wide grids with edge
values; dtypes of integer inputs; the in-place forms."""

import numpy as np
import pytest
import torch
from opcheck import Case, Const, table_tests

import nerve
from nerve.ops.math import special_arrays as special

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4))
UNIT = rng.uniform(-0.9, 0.9, (3, 4))  # inside (-1, 1): asin, atanh, erfinv
POS = rng.uniform(0.2, 3.0, (3, 4))
ABOVE1 = rng.uniform(1.2, 4.0, (3, 4))  # acosh
PROB = rng.uniform(0.05, 0.95, (3, 4))  # logit
# away from the integers, where trunc/frac/fmod/remainder jump
OFF_INT = np.floor(rng.uniform(-4, 4, (3, 4))) + rng.uniform(0.1, 0.9, (3, 4))
DIVISOR = np.where(rng.random((3, 4)) < 0.5, -1, 1) * rng.uniform(0.7, 1.6, (3, 4))
NUMERATOR = (np.floor(rng.uniform(-5, 5, (3, 4))) + rng.uniform(0.2, 0.8, (3, 4))) * DIVISOR
GAMMA_X = np.array([[0.3, 0.9, 1.5, 2.5], [3.7, 7.2, 11.5, 25.0], [-0.4, -1.3, -2.6, 0.05]])
NONFINITE = np.array([[1.5, np.nan, np.inf, -np.inf], [0.3, -2.0, np.nan, 4.0]])
XLOGY_A = np.array([[0.0, 1.5, -2.0], [0.7, 0.0, 3.0]])


def _t(fn):
    return lambda *a: fn(*a)


CASES = [
    Case("Sin", nerve.sin, torch.sin, [(3, 4)]),
    Case("Cos", nerve.cos, torch.cos, [(3, 4)]),
    Case("Tan", nerve.tan, torch.tan, [UNIT]),
    Case("Tan/method", lambda x: x.tan(), lambda x: x.tan(), [(2, 3)]),
    Case("Asin", nerve.asin, torch.asin, [UNIT]),
    Case("Asin/arcsin", nerve.arcsin, torch.arcsin, [UNIT]),
    Case("Acos", nerve.acos, torch.acos, [UNIT]),
    Case("Acos/method", lambda x: x.arccos(), lambda x: x.arccos(), [UNIT]),
    Case("Atan", nerve.atan, torch.atan, [X * 3]),
    Case("Sinh", nerve.sinh, torch.sinh, [X]),
    Case("Cosh", nerve.cosh, torch.cosh, [X]),
    Case("Asinh", nerve.asinh, torch.asinh, [X * 3]),
    Case("Acosh", nerve.acosh, torch.acosh, [ABOVE1]),
    Case("Atanh", nerve.atanh, torch.atanh, [UNIT]),
    Case("Log2", nerve.log2, torch.log2, [POS]),
    Case("Log10", nerve.log10, torch.log10, [POS]),
    Case("Exp2", nerve.exp2, torch.exp2, [X]),
    Case("Reciprocal", nerve.reciprocal, torch.reciprocal, [POS]),
    Case("Reciprocal/negative", lambda x: (-x).reciprocal(), lambda x: (-x).reciprocal(), [POS]),
    Case("Rsqrt", nerve.rsqrt, torch.rsqrt, [POS]),
    Case("Deg2rad", nerve.deg2rad, torch.deg2rad, [X * 90]),
    Case("Rad2deg", nerve.rad2deg, torch.rad2deg, [X]),
    Case("Sinc", nerve.sinc, torch.sinc, [X * 2]),
    Case("Sinc/zero", nerve.sinc, torch.sinc, [np.array([0.0, 0.5, -1.5])], gradcheck=False),
    Case("Erfc", nerve.erfc, torch.erfc, [X * 2]),
    Case("Erfc/tails", nerve.erfc, torch.erfc, [np.linspace(-5, 5, 12).reshape(3, 4)]),
    Case("Erfinv", nerve.erfinv, torch.erfinv, [UNIT]),
    Case(
        "Erfinv/tails",
        nerve.erfinv,
        torch.erfinv,
        [np.array([-0.999, -0.99, 0.95, 0.999])],
        rtol=1e-3,
    ),
    Case("Lgamma", nerve.lgamma, torch.lgamma, [GAMMA_X]),
    Case("Digamma", nerve.digamma, torch.digamma, [GAMMA_X], rtol=1e-3, atol=1e-4),
    Case(
        "Polygamma",
        lambda x: nerve.polygamma(1, x),
        lambda x: torch.polygamma(1, x),
        [POS],
        rtol=1e-3,
    ),
    Case(
        "Polygamma/n3", lambda x: x.polygamma(3), lambda x: x.polygamma(3), [POS + 0.5], rtol=1e-3
    ),
    Case("Polygamma/n0", lambda x: nerve.polygamma(0, x), lambda x: torch.polygamma(0, x), [POS]),
    Case("I0", nerve.i0, torch.i0, [X * 4]),
    Case(
        "I0/large", nerve.i0, torch.i0, [np.array([[-40.0, 31.0], [35.0, 50.0]])], gradcheck=False
    ),
    Case("Trunc", nerve.trunc, torch.trunc, [OFF_INT]),
    Case("Trunc/fix", nerve.fix, torch.fix, [OFF_INT]),
    Case("Frac", nerve.frac, torch.frac, [OFF_INT]),
    Case("Logit", nerve.logit, torch.logit, [PROB]),
    Case("Logit/eps", lambda x: nerve.logit(x, 0.2), lambda x: torch.logit(x, 0.2), [PROB]),
    Case("NanToNum", nerve.nan_to_num, torch.nan_to_num, [NONFINITE], gradcheck=False),
    Case(
        "NanToNum/values",
        lambda x: x.nan_to_num(1.0, 9.0, -9.0),
        lambda x: x.nan_to_num(1.0, 9.0, -9.0),
        [NONFINITE],
        gradcheck=False,
    ),
    Case("NanToNum/finite", nerve.nan_to_num, torch.nan_to_num, [X]),
    Case("Fmod", nerve.fmod, torch.fmod, [NUMERATOR, DIVISOR]),
    Case(
        "Fmod/scalar",
        lambda a: nerve.fmod(a, 1.5),
        lambda a: torch.fmod(a, 1.5),
        [NUMERATOR + 0.05],
    ),
    Case("Remainder", nerve.remainder, torch.remainder, [NUMERATOR, DIVISOR]),
    Case(
        "Remainder/broadcast",
        lambda a, b: a.remainder(b),
        lambda a, b: a.remainder(b),
        [NUMERATOR, DIVISOR[0]],
    ),
    Case("Hypot", nerve.hypot, torch.hypot, [X, (3, 4)]),
    Case("Hypot/broadcast", nerve.hypot, torch.hypot, [(2, 3), (3,)]),
    Case("Logaddexp", nerve.logaddexp, torch.logaddexp, [X, (3, 4)]),
    Case(
        "Logaddexp/wide",
        nerve.logaddexp,
        torch.logaddexp,
        [np.array([800.0, -800.0, 3.0]), np.array([799.0, -801.0, -500.0])],
    ),
    Case("Logaddexp2", nerve.logaddexp2, torch.logaddexp2, [X, (3, 4)]),
    Case("Xlogy", nerve.xlogy, torch.xlogy, [X, POS]),
    Case("Xlogy/zero_x", nerve.xlogy, torch.xlogy, [XLOGY_A, np.abs(XLOGY_A) + 0.5]),
    Case("Xlogy/scalar_x", lambda y: nerve.xlogy(2.0, y), lambda y: torch.xlogy(2.0, y), [POS]),
    Case("Copysign", nerve.copysign, torch.copysign, [X, (3, 4)]),
    Case("Copysign/scalar", lambda a: a.copysign(-1.0), lambda a: a.copysign(-1.0), [X]),
    Case(
        "Mvlgamma/composite",
        lambda x: nerve.mvlgamma(x, 3),
        lambda x: torch.mvlgamma(x, 3),
        [POS + 1.5],
    ),
    Case(
        "FloatPower/composite",
        lambda x: nerve.float_power(x, 2.5),
        lambda x: torch.float_power(x, 2.5),
        [POS],
    ),
    Case("FloatPower/tensor_exponent", nerve.float_power, torch.float_power, [POS, X]),
    # (non-negative exponents: PyTorch's own gradient is 0 where an integer one is < 0)
    Case(
        "Ldexp/composite",
        lambda x: nerve.ldexp(x, nerve.tensor([1, 2, 3, 0], device=x.device)),
        lambda x: torch.ldexp(x, torch.tensor([1, 2, 3, 0])),
        [X],
    ),
    Case("Ldexp/float_exponent", nerve.ldexp, torch.ldexp, [X, (3, 4)]),
    Case(
        "Divide/trunc",
        lambda a, b: nerve.divide(a, b, rounding_mode="trunc"),
        lambda a, b: torch.divide(a, b, rounding_mode="trunc"),
        [NUMERATOR, DIVISOR],
    ),
    Case(
        "Xlogy/const_x",
        lambda y: nerve.xlogy(nerve.tensor([0.0, 2.0], device=y.device), y),
        lambda y: torch.xlogy(torch.tensor([0.0, 2.0]), y),
        [np.array([0.5, 1.5])],
    ),
    Case("Tan/scalar", nerve.tan, torch.tan, [np.array(0.3)]),
    Case(
        "Hypot/const",
        lambda a, b: nerve.hypot(a, nerve.tensor(b)),
        lambda a, b: torch.hypot(a, torch.tensor(b)),
        [X, Const(np.float32(2.0))],
        gradcheck=False,
    ),
]


table_tests(CASES, float64=True)


# ----- the special functions in float64, on wide grids and at the edges -------------------
GRID = np.concatenate([np.linspace(-30.3, 40, 1501), [1e-8, 1.0, 2.0, 0.5, 1e5, 1e10, 170.5]])
EDGES = np.array([0.0, -0.0, -1.0, -2.0, np.inf, -np.inf, np.nan])


def _torch64(fn, x):
    return fn(torch.from_numpy(np.asarray(x, np.float64))).numpy()


def _close(ours, ref, tol):
    assert np.array_equal(np.isnan(ours), np.isnan(ref)), (ours, ref)
    assert np.array_equal(np.isinf(ours), np.isinf(ref)), (ours, ref)
    fin = np.isfinite(ref)
    err = np.abs(ours[fin] - ref[fin]) / np.maximum(1, np.abs(ref[fin]))
    assert err.max(initial=0) < tol, err.max()
    assert np.array_equal(ours[~fin & ~np.isnan(ref)], ref[~fin & ~np.isnan(ref)])


@pytest.mark.parametrize("name", ["lgamma", "digamma", "erfc", "erfinv", "i0"])
def test_special_matches_torch_in_float64(name):
    x = (
        np.concatenate([GRID, EDGES])
        if name != "erfinv"
        else np.concatenate(
            [np.linspace(-1, 1, 2001), [1 - 1e-16, -1 + 1e-12, 1e-300, 1.5, -2.0, np.nan]]
        )
    )
    if name == "i0":
        # (PyTorch's i0(±inf) is NaN; nerve's is the limit, +inf)
        x = np.concatenate([np.linspace(-700, 700, 1401), [0.0, 710.0, np.nan]])
    ours = nerve.tensor(x, dtype=nerve.float64)
    _close(getattr(nerve, name)(ours).numpy(), _torch64(getattr(torch, name), x), 1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_polygamma_matches_torch_in_float64(n):
    x = GRID[(GRID > -5) & (GRID != np.floor(GRID))]
    ref = _torch64(lambda t: torch.polygamma(n, t), x)
    # torch's trigamma itself is only good to ~5e-10 (checked against mpmath)
    _close(
        nerve.polygamma(n, nerve.tensor(x, dtype=nerve.float64)).numpy(),
        ref,
        1e-9 if n == 1 else 1e-12,
    )


def test_erfinv_inverts_erf_and_keeps_the_tail():
    u = np.linspace(-1, 1, 4001)[1:-1]
    y = special.erfinv(u)
    assert np.max(np.abs(special._erf(y) - u)) < 1e-15 * 8
    near_one = 1 - np.logspace(-16, -2, 30)
    assert np.max(np.abs(special.erfc(special.erfinv(near_one)) / (1 - near_one) - 1)) < 1e-12


def test_gamma_special_values():
    assert np.abs(special.lgamma(np.array([1.0, 2.0]))).max() < 1e-15
    np.testing.assert_allclose(
        special.lgamma(np.array([0.5])), [np.log(np.sqrt(np.pi))], rtol=1e-14
    )
    np.testing.assert_allclose(special.digamma(np.array([1.0])), [-0.5772156649015329], rtol=1e-14)
    np.testing.assert_allclose(special.polygamma(1, np.array([1.0])), [np.pi**2 / 6], rtol=1e-14)


# ----- dtypes and errors ------------------------------------------------------------------
UNARY_FLOAT = [
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "asinh",
    "acosh",
    "atanh",
    "log2",
    "log10",
    "exp2",
    "reciprocal",
    "rsqrt",
    "deg2rad",
    "rad2deg",
    "sinc",
    "erfc",
    "erfinv",
    "lgamma",
    "digamma",
    "i0",
    "logit",
]


@pytest.mark.parametrize("name", UNARY_FLOAT)
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "float64"])
def test_integer_inputs_give_torch_dtype(name, dtype):
    x = np.array([1, 0, 2]).astype(dtype)
    ours = getattr(nerve, name)(nerve.tensor(x))
    ref = getattr(torch, name)(torch.from_numpy(x))
    assert ours.dtype == ref.numpy().dtype
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-5, equal_nan=True)


@pytest.mark.parametrize("name", ["fmod", "remainder", "xlogy", "copysign", "float_power", "ldexp"])
@pytest.mark.parametrize(
    "types",
    [
        ("int64", "int64"),
        ("int64", "float32"),
        ("float64", "int32"),
        ("int32", "int64"),
        ("float32", "float64"),
    ],
)
def test_binary_dtypes(name, types):
    a = np.array([7, -7, 3, 0]).astype(types[0])
    b = np.array([2, 3, -2, 5]).astype(types[1])
    ours = getattr(nerve, name)(nerve.tensor(a), nerve.tensor(b))
    ref = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(b))
    assert ours.dtype == ref.numpy().dtype, (ours.dtype, ref.dtype)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6)


def test_python_numbers_take_the_tensors_dtype():
    for name in ("xlogy", "hypot", "copysign", "logaddexp"):
        for x in (
            nerve.tensor([1, 2]),
            nerve.tensor([1.0, 2.0]),
            nerve.tensor([1.0], dtype=nerve.float64),
        ):
            ours = getattr(nerve, name)(x.float() if name in ("hypot", "logaddexp") else x, 3)
            t = torch.from_numpy(x.numpy())
            t = t.float() if name in ("hypot", "logaddexp") else t
            ref = getattr(torch, name)(t, torch.tensor(3) if name in ("hypot", "logaddexp") else 3)
            assert ours.dtype == ref.numpy().dtype, name


def test_edge_values_match_torch():
    e = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 2.5], np.float64)
    for name in [
        "tan",
        "asin",
        "acosh",
        "atanh",
        "log2",
        "log10",
        "exp2",
        "reciprocal",
        "rsqrt",
        "sinc",
        "trunc",
        "frac",
        "logit",
        "nan_to_num",
        "sinh",
        "cosh",
    ]:
        ours = getattr(nerve, name)(nerve.tensor(e)).numpy()
        ref = getattr(torch, name)(torch.from_numpy(e)).numpy()
        np.testing.assert_allclose(ours, ref, rtol=1e-12, equal_nan=True, err_msg=name)
    for name in ["fmod", "remainder", "hypot", "logaddexp", "logaddexp2", "xlogy", "copysign"]:
        a, b = np.meshgrid(e, e)
        ours = getattr(nerve, name)(nerve.tensor(a), nerve.tensor(b)).numpy()
        ref = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(b)).numpy()
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15, equal_nan=True, err_msg=name)


def test_integer_fmod_and_remainder():
    a, b = np.array([7, -7, 7, -7]), np.array([3, 3, -3, -3])
    for name in ["fmod", "remainder"]:
        ours = getattr(nerve, name)(nerve.tensor(a), nerve.tensor(b))
        ref = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(b))
        assert ours.tolist() == ref.tolist() and ours.dtype == nerve.int64
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            getattr(nerve, name)(nerve.tensor(a), 0)


def test_trunc_keeps_integers_and_grads_are_zero():
    assert nerve.trunc(nerve.tensor([3, -2])).dtype == nerve.int64
    x = nerve.tensor([1.5, -2.5], requires_grad=True)
    y = nerve.trunc(x)
    assert y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    "call",
    [
        lambda: nerve.frac(nerve.tensor([1, 2])),
        lambda: nerve.trunc(nerve.tensor([True])),
        lambda: nerve.hypot(nerve.tensor([1, 2]), nerve.tensor([1, 2])),
        lambda: nerve.logaddexp(nerve.tensor([True]), nerve.tensor([True])),
        lambda: nerve.fmod(nerve.tensor([True]), nerve.tensor([True])),
    ],
)
def test_unsupported_dtypes_raise_not_implemented(call):
    with pytest.raises(NotImplementedError):
        call()


def test_out_argument_is_refused():
    x = nerve.tensor([0.5])
    for call in (
        lambda: nerve.tan(x, out=x),
        lambda: nerve.fmod(x, 2.0, out=x),
        lambda: nerve.logit(x, out=x),
        lambda: nerve.polygamma(1, x, out=x),
    ):
        with pytest.raises(NotImplementedError, match="out="):
            call()


def test_mvlgamma_and_polygamma_errors():
    with pytest.raises(RuntimeError, match="greater than"):
        nerve.mvlgamma(nerve.tensor([0.5, 2.0]), 3)
    with pytest.raises(RuntimeError, match="negative"):
        nerve.polygamma(-1, nerve.tensor([1.0]))


# ----- in place -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name,args",
    [
        ("tan_", ()),
        ("arcsin_", ()),
        ("atanh_", ()),
        ("log2_", ()),
        ("exp2_", ()),
        ("reciprocal_", ()),
        ("rsqrt_", ()),
        ("trunc_", ()),
        ("frac_", ()),
        ("fmod_", (0.3,)),
        ("remainder_", (-0.3,)),
        ("hypot_", (None,)),
        ("xlogy_", (3.0,)),
        ("lgamma_", ()),
        ("digamma_", ()),
        ("polygamma_", (2,)),
        ("erfc_", ()),
        ("erfinv_", ()),
        ("i0_", ()),
        ("logit_", (0.1,)),
        ("sinc_", ()),
        ("copysign_", (-1.0,)),
        ("nan_to_num_", ()),
        ("deg2rad_", ()),
        ("rad2deg_", ()),
        ("ldexp_", (None,)),
        ("sinh_", ()),
    ],
)
def test_inplace_matches_torch(name, args):
    x0 = np.array([0.25, 0.5, 0.75], np.float32)
    if args == (None,):
        other = np.array([1.0, 2.0, -1.0], np.float32)
        args, nargs = (torch.from_numpy(other),), (nerve.tensor(other),)
    else:
        nargs = args
    t = torch.from_numpy(x0.copy())
    n = nerve.tensor(x0.copy())
    assert getattr(n, name)(*nargs) is n
    getattr(t, name)(*args)
    np.testing.assert_allclose(n.numpy(), t.numpy(), rtol=1e-5)


def test_inplace_in_a_graph_and_on_integers():
    w = nerve.tensor([0.3, 0.6], requires_grad=True)
    y = w * 1.0
    y.tan_()
    y.sum().backward()
    tw = torch.tensor([0.3, 0.6], requires_grad=True)
    ty = tw * 1.0
    ty.tan_()
    ty.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="leaf"):
        w.tan_()
    with pytest.raises(RuntimeError):
        nerve.tensor([1, 2]).tan_()
    i = nerve.tensor([7, -7])
    i.fmod_(3)
    assert i.tolist() == [1, -1] and i.dtype == nerve.int64
    with pytest.raises(RuntimeError, match="float_power_"):
        nerve.tensor([1.0]).float_power_(2)
    d = nerve.tensor([2.0], dtype=nerve.float64)
    d.float_power_(3)
    assert d.tolist() == [8.0]
