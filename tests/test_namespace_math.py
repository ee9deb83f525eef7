"""The torch namespace's elementwise math, comparisons, logic and dtype utilities in
nerve: every name exists (top level and as a Tensor method, with the in-place forms),
ops without a gradient give torch's values and dtypes (edge values included), and
finfo/iinfo/promote_types/can_cast/result_type, set_printoptions and the thread
settings behave as torch's."""

import numpy as np
import pytest
import torch

import nerve

NAMES = """abs absolute acos acosh arccos arccosh arcsin arcsinh arctan arctanh arctan2 asin
asinh atan atanh cosh sinh tan log2 log10 exp2 expm1 log1p reciprocal rsqrt trunc fix frac
floor ceil round fmod remainder hypot logaddexp logaddexp2 xlogy lgamma digamma polygamma
mvlgamma erfc erfinv i0 logit sinc copysign heaviside nan_to_num float_power floor_divide
true_divide divide multiply subtract negative positive sgn signbit ldexp nextafter gcd lcm
deg2rad rad2deg clamp_min clamp_max ge gt le lt ne eq greater greater_equal less less_equal
not_equal equal isfinite isinf isnan isneginf isposinf isreal isin logical_and logical_or
logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not all any
count_nonzero is_floating_point is_complex is_nonzero is_tensor finfo iinfo promote_types
can_cast result_type set_printoptions get_num_threads set_num_threads""".split()


def test_every_name_exists():
    assert [n for n in NAMES if hasattr(torch, n) and not hasattr(nerve, n)] == []
    t, n = torch.zeros(1), nerve.zeros(1)
    assert [m for m in NAMES if hasattr(t, m) and not hasattr(n, m)] == []
    assert [m + "_" for m in NAMES if hasattr(t, m + "_") and not hasattr(n, m + "_")] == []


E = np.array([0.0, -0.0, 1.5, -2.5, np.inf, -np.inf, np.nan, 3.0])
I = np.array([0, 3, -4, 7, -9, 12])
J = np.array([5, -3, 6, 2, 4, -8])
B = np.array([True, False, True, False, True, True])

DTYPES = {
    "float32": E.astype(np.float32),
    "float64": E,
    "int64": I,
    "int32": I.astype(np.int32),
    "uint8": np.abs(I).astype(np.uint8),
    "bool": B,
}


def _both(name, *args, **kw):
    ours = getattr(nerve, name)(
        *[nerve.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args], **kw
    )
    ref = getattr(torch, name)(
        *[torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args], **kw
    )
    return ours, ref


def _same(ours, ref):
    r = ref.numpy()
    assert ours.dtype == r.dtype, (ours.dtype, r.dtype)
    assert ours.shape == r.shape
    np.testing.assert_array_equal(ours.numpy(), r)


COMPARE = [
    "ge",
    "gt",
    "le",
    "lt",
    "ne",
    "eq",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
]


@pytest.mark.parametrize("name", COMPARE)
def test_comparisons_and_logic(name):
    _same(*_both(name, E, E[::-1].copy()))
    _same(*_both(name, I, J))
    _same(*_both(name, I, I.astype(np.float32) + 0.5))
    _same(*_both(name, E.reshape(2, 4), E[:4].copy()))  # broadcasting
    _same(*_both(name, B, B[::-1].copy()))
    if not name.startswith("logical"):
        _same(*_both(name, I, 2.5))
        _same(*_both(name, E, 0))


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize(
    "name",
    ["isfinite", "isinf", "isnan", "isneginf", "isposinf", "isreal", "signbit", "logical_not"],
)
def test_unary_tests(name, dtype):
    x = DTYPES[dtype]
    _same(*_both(name, x))


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor"])
def test_bitwise(name):
    _same(*_both(name, I, J))
    _same(*_both(name, B, B[::-1].copy()))
    _same(*_both(name, I.astype(np.int32), J))  # int32 with int64 is int64
    _same(*_both(name, np.abs(I).astype(np.uint8), np.abs(J).astype(np.uint8)))
    with pytest.raises(NotImplementedError):
        getattr(nerve, name)(nerve.tensor([1.0]), nerve.tensor([1.0]))
    with pytest.raises(NotImplementedError):
        getattr(nerve, name)(nerve.tensor([1]), 2.5)


def test_bitwise_not():
    for x in (I, B, I.astype(np.int32), np.abs(I).astype(np.uint8)):
        _same(*_both("bitwise_not", x))
    with pytest.raises(NotImplementedError):
        nerve.bitwise_not(nerve.tensor([1.0]))


def test_gcd_lcm():
    for name in ("gcd", "lcm"):
        _same(*_both(name, I, J))
        _same(*_both(name, np.array([0, 0, -4]), np.array([0, 5, 6])))
        with pytest.raises(NotImplementedError):
            getattr(nerve, name)(nerve.tensor([1.0]), nerve.tensor([2.0]))


def test_nextafter_heaviside():
    _same(*_both("nextafter", E, E[::-1].copy()))
    _same(*_both("nextafter", E.astype(np.float32), np.zeros(8, np.float32)))
    _same(*_both("heaviside", E, np.array([0.5])))
    _same(*_both("heaviside", I, np.array([7])))
    with pytest.raises(RuntimeError, match="different dtypes"):
        nerve.heaviside(nerve.tensor([1.0]), nerve.tensor([1]))


def test_isin():
    _same(*_both("isin", I, J))
    _same(*_both("isin", I, np.array([3, 7]), invert=True))
    _same(*_both("isin", E, np.array([np.nan, 1.5])))
    assert nerve.isin(nerve.tensor([1, 2]), 2).tolist() == [False, True]


@pytest.mark.parametrize(
    "a,b", [(I, J), (E, E[::-1].copy()), (I, 2.5), (I, -3), (E.astype(np.float32), J[:1].copy())]
)
def test_floor_divide_and_rounding_modes(a, b):
    with np.errstate(all="ignore"):
        _same(*_both("floor_divide", a, b))
        for mode in ("trunc", "floor", None):
            ours, ref = _both("divide", a, b, rounding_mode=mode)
            r = ref.numpy()
            assert ours.dtype == r.dtype
            np.testing.assert_allclose(ours.numpy(), r, rtol=1e-6, equal_nan=True)


def test_integer_division_by_zero_raises():
    for call in (
        lambda: nerve.floor_divide(nerve.tensor([1, 2]), nerve.tensor([0, 1])),
        lambda: nerve.divide(nerve.tensor([1]), 0, rounding_mode="trunc"),
        lambda: nerve.remainder(nerve.tensor([1]), 0),
    ):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            call()
    with pytest.raises(RuntimeError, match="rounding_mode"):
        nerve.divide(nerve.tensor([1.0]), 2, rounding_mode="round")


def test_aliases():
    x = nerve.tensor([1.5, -2.0])
    assert nerve.true_divide(x, 2).tolist() == [0.75, -1.0]
    assert nerve.multiply(x, 2).tolist() == [3.0, -4.0]
    assert nerve.subtract(x, 1, alpha=2).tolist() == [-0.5, -4.0]
    assert nerve.negative(x).tolist() == [-1.5, 2.0]
    assert nerve.positive(x) is x
    assert nerve.absolute(x).tolist() == [1.5, 2.0]
    assert nerve.sgn(x).tolist() == [1.0, -1.0]
    assert nerve.sgn(nerve.tensor([True, False])).tolist() == [True, False]
    with pytest.raises(RuntimeError, match="bool"):
        nerve.positive(nerve.tensor([True]))


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_top_level_forms_of_methods(dtype):
    x = DTYPES[dtype]
    for name in ("isfinite", "isinf", "isnan", "logical_not"):
        _same(*_both(name, x))
    _same(*_both("all", x))
    _same(*_both("any", x))
    _same(*_both("count_nonzero", x))
    if dtype != "bool":
        for name in ("floor", "ceil", "round"):
            _same(*_both(name, x))
    else:
        with pytest.raises(NotImplementedError):
            nerve.floor(nerve.from_numpy(x))


def test_reductions_with_dims_and_round_decimals():
    x = np.arange(24).reshape(2, 3, 4) % 5
    _same(*_both("all", x, dim=1))
    _same(*_both("any", x, 2, True))
    _same(*_both("count_nonzero", x, dim=(0, 2)))
    _same(*_both("round", np.array([1.2345, 2.5, -0.125, 1e10]), decimals=2))
    assert nerve.equal(nerve.tensor([1, 2]), nerve.tensor([1, 2]))
    assert nerve.is_nonzero(nerve.tensor([2.0])) and not nerve.is_nonzero(nerve.tensor(0))
    for bad in (nerve.zeros(2), nerve.zeros(0)):
        with pytest.raises(RuntimeError, match="ambiguous"):
            nerve.is_nonzero(bad)


def test_out_is_refused():
    x = nerve.tensor([1.0, 2.0])
    for call in (
        lambda: nerve.ge(x, 1, out=x),
        lambda: nerve.floor(x, out=x),
        lambda: nerve.all(x, out=x),
        lambda: nerve.divide(x, 2, out=x),
    ):
        with pytest.raises(NotImplementedError, match="out="):
            call()


@pytest.mark.parametrize(
    "name,arg",
    [
        ("ge_", 1.0),
        ("lt_", 0.0),
        ("eq_", 1.5),
        ("logical_and_", None),
        ("logical_not_", None),
        ("floor_divide_", 0.7),
        ("sgn_", None),
        ("nextafter_", None),
        ("heaviside_", None),
        ("divide_", 4.0),
        ("subtract_", 1.0),
        ("negative_", None),
    ],
)
def test_inplace_comparisons_write_in_the_tensors_dtype(name, arg):
    x0 = np.array([1.5, -0.5, 0.0, 2.0], np.float32)
    n, t = nerve.from_numpy(x0.copy()), torch.from_numpy(x0.copy())
    if arg is None and name in ("nextafter_", "heaviside_", "logical_and_"):
        nargs, targs = (nerve.ones(4),), (torch.ones(4),)
    else:
        nargs = targs = () if arg is None else (arg,)
    assert getattr(n, name)(*nargs) is n
    getattr(t, name)(*targs)
    assert n.dtype == np.float32
    np.testing.assert_array_equal(n.numpy(), t.numpy())


def test_inplace_integer_ops():
    a, b = nerve.tensor([12, -9]), nerve.tensor([8, 6])
    a.gcd_(b)
    assert a.tolist() == [4, 3]
    a.bitwise_xor_(nerve.tensor([1, 1]))
    assert a.tolist() == [5, 2]
    a.bitwise_not_()
    assert a.tolist() == [-6, -3]


# ----- dtype utilities -------------------------------------------------------------------
FLOATS = [nerve.float16, nerve.float32, nerve.float64]
TFLOATS = [torch.float16, torch.float32, torch.float64]
ALL = [nerve.bool, nerve.uint8, nerve.int8, nerve.int16, nerve.int32, nerve.int64] + FLOATS
TALL = [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64] + TFLOATS


@pytest.mark.parametrize("i", range(3))
def test_finfo(i):
    ours, ref = nerve.finfo(FLOATS[i]), torch.finfo(TFLOATS[i])
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, field) == getattr(ref, field), field
        assert type(getattr(ours, field)) is type(getattr(ref, field)), field
    assert repr(ours) == repr(ref)


def test_finfo_default_and_errors():
    assert nerve.finfo().dtype == "float32"
    with pytest.raises(TypeError, match="floating point"):
        nerve.finfo(nerve.int32)


@pytest.mark.parametrize("i", range(1, 6))
def test_iinfo(i):
    ours, ref = nerve.iinfo(ALL[i]), torch.iinfo(TALL[i])
    for field in ("bits", "max", "min", "dtype"):
        assert getattr(ours, field) == getattr(ref, field), field
    assert repr(ours) == repr(ref)


def test_iinfo_errors():
    for bad in (nerve.float32, nerve.bool):
        with pytest.raises(TypeError):
            nerve.iinfo(bad)


def test_promote_types_and_can_cast_tables():
    for a, ta in zip(ALL, TALL):
        for b, tb in zip(ALL, TALL):
            assert str(nerve.promote_types(a, b)) == str(torch.promote_types(ta, tb))[6:], (a, b)
            assert nerve.can_cast(a, b) == torch.can_cast(ta, tb), (a, b)


@pytest.mark.parametrize("other", [2, 2.5, True, "0d_f64", "i32", "f16"])
@pytest.mark.parametrize("base", ["i64", "f32", "u8", "b"])
def test_result_type(base, other):
    arrays = {
        "i64": np.array([1, 2]),
        "f32": np.array([1.0], np.float32),
        "u8": np.array([1], np.uint8),
        "b": np.array([True]),
        "0d_f64": np.array(1.0),
        "i32": np.array([3], np.int32),
        "f16": np.array([1.0], np.float16),
    }
    a = arrays[base]
    b = arrays.get(other, other) if isinstance(other, str) else other
    ours = nerve.result_type(
        nerve.from_numpy(a), nerve.from_numpy(b) if isinstance(b, np.ndarray) else b
    )
    ref = torch.result_type(
        torch.from_numpy(a), torch.from_numpy(b) if isinstance(b, np.ndarray) else b
    )
    assert str(ours) == str(ref)[6:]


def test_is_floating_point_and_complex():
    assert nerve.is_floating_point(nerve.zeros(1)) and not nerve.is_floating_point(
        nerve.tensor([1])
    )
    assert not nerve.is_complex(nerve.zeros(1)) and not nerve.zeros(1).is_complex()
    assert nerve.is_tensor(nerve.zeros(1)) and not nerve.is_tensor(1.0)


# ----- print options and threads ----------------------------------------------------------
@pytest.fixture
def restore_print():
    yield
    nerve.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


@pytest.mark.parametrize(
    "options",
    [
        {"precision": 2},
        {"sci_mode": True},
        {"sci_mode": False},
        {"precision": 6},
        {"threshold": 5, "edgeitems": 1},
        {"profile": "short"},
        {"profile": "full"},
        {"precision": 3, "sci_mode": True},
    ],
)
def test_set_printoptions(options, restore_print):
    nerve.set_printoptions(**options)
    torch.set_printoptions(**options)
    for values in (
        [1.2345, 100.0],
        [1e-5, 2.0],
        [0.5, 1.25, 3.0, 4.0, 5.5, 6.0, 7.0],
        np.arange(1500) / 7.0,
    ):
        data = np.asarray(values, np.float32)
        assert repr(nerve.from_numpy(data)) == repr(torch.from_numpy(data)).replace(
            " ..., ", " ..., "
        ).replace(",  ...,", ", ...,"), values


def test_set_printoptions_resets_sci_mode_and_rejects_unknown_profiles(restore_print):
    nerve.set_printoptions(sci_mode=True)
    nerve.set_printoptions(precision=4)
    assert repr(nerve.tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
    with pytest.raises(ValueError, match="profile"):
        nerve.set_printoptions(profile="long")


def test_threads():
    n = nerve.get_num_threads()
    try:
        nerve.set_num_threads(1)
        assert nerve.get_num_threads() == 1
        nerve.set_num_threads(2)
        assert nerve.get_num_threads() == 2
        with pytest.raises(RuntimeError, match="positive"):
            nerve.set_num_threads(0)
    finally:
        nerve.set_num_threads(n)
    assert nerve.get_num_threads() == n
