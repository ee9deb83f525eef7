"""Reductions and scans (nerve/ops/reduce/statistics.py): median, mode, quantile, cummax, ...
gradients go to the selected entries as in torch; values, indices and dtypes as torch's."""

import numpy as np
import pytest
import torch
from opcheck import Case, table_tests

import nerve

rng = np.random.default_rng(5)
DISTINCT = rng.permutation(24).reshape(4, 6) * 0.37 - 4.0  # unique order, unique gradient
EVEN = rng.permutation(20).reshape(4, 5) * 0.21 - 2.0
REPEATS = np.array([[1.0, 3.0, 3.0, 2.0, 3.0, 1.0, 1.0], [2.0, 2.0, 0.5, 0.5, 4.0, 0.5, 2.0]])
WITH_NAN = np.array([[1.0, np.nan, 3.0, 0.5], [2.0, 4.0, -1.0, 0.0], [np.nan] * 4])
RAMP = np.array([[0.0, 0.7, 1.1, 2.0, 3.6], [0.2, 0.9, 1.0, 2.5, 2.8]])


def both(fn):
    return lambda *xs: tuple(fn(*xs))


Q = np.array([0.1, 0.5, 0.77, 1.0])
CASES = [
    Case("LogCumSumExp/dim1", lambda x: x.logcumsumexp(1), lambda x: x.logcumsumexp(1), [(3, 5)]),
    Case(
        "LogCumSumExp/dim0_scalar",
        lambda x: nerve.logcumsumexp(x, 0),
        lambda x: torch.logcumsumexp(x, 0),
        [()],
    ),
    Case(
        "LogCumSumExp/large",
        lambda x: nerve.logcumsumexp(x * 300, 0),
        lambda x: torch.logcumsumexp(x * 300, 0),
        [(6, 2)],
        rtol=1e-3,
    ),
    Case("median/dim", both(lambda x: x.median(1)), both(lambda x: x.median(1)), [DISTINCT]),
    Case(
        "median/even_keepdim",
        both(lambda x: nerve.median(x, 0, True)),
        both(lambda x: torch.median(x, 0, True)),
        [EVEN],
    ),
    Case("median/all", lambda x: x.median(), lambda x: x.median(), [DISTINCT]),
    Case("median/all_ties", lambda x: x.median(), lambda x: x.median(), [REPEATS], gradcheck=False),
    Case("median/scalar", both(lambda x: x.median(0)), both(lambda x: x.median(0)), [()]),
    Case(
        "nanmedian/dim",
        both(lambda x: x.nanmedian(-1)),
        both(lambda x: x.nanmedian(-1)),
        [DISTINCT],
    ),
    Case("nanmedian/all", nerve.nanmedian, torch.nanmedian, [EVEN]),
    Case(
        "mode/rows",
        both(lambda x: x.mode(1)),
        both(lambda x: x.mode(1)),
        [REPEATS],
        gradcheck=False,
    ),
    Case(
        "mode/dim0_keepdim",
        both(lambda x: nerve.mode(x.T, 0, True)),
        both(lambda x: torch.mode(x.T, 0, True)),
        [REPEATS],
        gradcheck=False,
    ),
    Case("cummax/dim1", both(lambda x: x.cummax(1)), both(lambda x: x.cummax(1)), [DISTINCT]),
    Case(
        "cummin/dim0",
        both(lambda x: nerve.cummin(x, 0)),
        both(lambda x: torch.cummin(x, 0)),
        [DISTINCT],
    ),
    Case(
        "cummax/ties",
        both(lambda x: x.cummax(1)),
        both(lambda x: x.cummax(1)),
        [REPEATS],
        gradcheck=False,
    ),
    Case(
        "aminmax/all",
        both(lambda x: nerve.aminmax(x)),
        both(lambda x: torch.aminmax(x)),
        [REPEATS],
        gradcheck=False,
    ),
    Case(
        "aminmax/dim",
        both(lambda x: x.aminmax(dim=1, keepdim=True)),
        both(lambda x: x.aminmax(dim=1, keepdim=True)),
        [DISTINCT],
    ),
    Case("quantile/linear_all", lambda x: x.quantile(0.3), lambda x: x.quantile(0.3), [DISTINCT]),
    *[
        Case(
            f"quantile/{mode}",
            lambda x, m=mode: nerve.quantile(
                x, nerve.tensor(Q, dtype=x.dtype, device=x.device), 1, interpolation=m
            ),
            lambda x, m=mode: torch.quantile(x, torch.tensor(Q, dtype=x.dtype), 1, interpolation=m),
            [DISTINCT],
        )
        for mode in ("linear", "lower", "higher", "midpoint", "nearest")
    ],
    Case(
        "quantile/keepdim_dim0",
        lambda x: x.quantile(nerve.tensor(Q[:2], dtype=x.dtype, device=x.device), 0, True),
        lambda x: x.quantile(torch.tensor(Q[:2], dtype=x.dtype), 0, True),
        [EVEN],
    ),
    Case(
        "quantile/keepdim_all",
        lambda x: nerve.quantile(x, 0.5, keepdim=True),
        lambda x: torch.quantile(x, 0.5, keepdim=True),
        [EVEN],
    ),
    Case(
        "nanquantile/dim",
        lambda x: x.nanquantile(0.4, 1),
        lambda x: x.nanquantile(0.4, 1),
        [DISTINCT],
    ),
    Case("nansum/dim", lambda x: x.nansum(1), lambda x: x.nansum(1), [(3, 4)]),
    Case("nanmean/all", nerve.nanmean, torch.nanmean, [(3, 4)]),
    Case("std_mean/dim", lambda x: nerve.std_mean(x, 1), lambda x: torch.std_mean(x, 1), [(3, 4)]),
    Case(
        "var_mean/correction",
        lambda x: nerve.var_mean(x, (0, 1), correction=0, keepdim=True),
        lambda x: torch.var_mean(x, (0, 1), correction=0, keepdim=True),
        [(3, 4, 2)],
    ),
    Case(
        "trapezoid/dx",
        lambda y: nerve.trapezoid(y, dx=0.5),
        lambda y: torch.trapezoid(y, dx=0.5),
        [(3, 5)],
    ),
    Case(
        "trapezoid/x_1d_dim0",
        lambda y, x: nerve.trapezoid(y, x, dim=0),
        lambda y, x: torch.trapezoid(y, x, dim=0),
        [(5, 2), RAMP[0]],
    ),
    Case(
        "trapezoid/x_nd",
        lambda y, x: nerve.trapz(y, x),
        lambda y, x: torch.trapz(y, x),
        [(2, 5), RAMP],
    ),
    Case(
        "cumulative_trapezoid/x",
        lambda y, x: nerve.cumulative_trapezoid(y, x),
        lambda y, x: torch.cumulative_trapezoid(y, x),
        [(2, 5), RAMP],
    ),
    Case(
        "cumulative_trapezoid/dx",
        lambda y: nerve.cumulative_trapezoid(y, dx=2.0, dim=0),
        lambda y: torch.cumulative_trapezoid(y, dx=2.0, dim=0),
        [(4, 3)],
    ),
]


table_tests(CASES)


def _same(ours, theirs, exact=True):
    if isinstance(theirs, tuple | list):
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _same(o, t, exact)
        return
    t = theirs.numpy()
    assert tuple(ours.shape) == t.shape and ours.dtype == t.dtype, (ours, theirs)
    np.testing.assert_allclose(ours.numpy(), t, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_nan_rows_as_torch(name):
    x, t = nerve.tensor(WITH_NAN), torch.tensor(WITH_NAN)
    # torch's index for an all-NaN row is implementation-defined (nth_element): values only
    _same(getattr(nerve, name)(x, 1).values, getattr(torch, name)(t, 1).values)
    _same(getattr(nerve, name)(x[:2], 1), getattr(torch, name)(t[:2], 1))
    _same(getattr(nerve, name)(x), getattr(torch, name)(t))
    _same(nerve.quantile(x, 0.5, 1), torch.quantile(t, 0.5, 1))
    _same(nerve.nanquantile(x, 0.25, 1), torch.nanquantile(t, 0.25, 1))
    _same(nerve.nansum(x, 1), torch.nansum(t, 1))
    _same(nerve.nanmean(x, 1), torch.nanmean(t, 1))
    _same(nerve.cummax(x, 1), torch.cummax(t, 1))
    _same(nerve.cummin(x, 1), torch.cummin(t, 1))


def test_integer_inputs_and_edges_as_torch():
    i = np.array([[3, 1, 2, 2], [0, 5, 5, 1]], np.int64)
    x, t = nerve.tensor(i), torch.tensor(i)
    _same(nerve.median(x, 1), torch.median(t, 1))
    _same(nerve.median(x), torch.median(t))
    _same(nerve.mode(x, 1), torch.mode(t, 1))
    _same(nerve.cummax(x, 1), torch.cummax(t, 1))
    _same(nerve.aminmax(x, dim=0), torch.aminmax(t, dim=0))
    _same(nerve.nansum(x), torch.nansum(t))
    _same(
        nerve.mode(nerve.tensor([True, False, True])), torch.mode(torch.tensor([True, False, True]))
    )
    _same(nerve.cummax(nerve.zeros(0), 0), torch.cummax(torch.zeros(0), 0))
    _same(
        nerve.logcumsumexp(nerve.tensor([-1e30, 0.0, 1e3]), 0),
        torch.logcumsumexp(torch.tensor([-1e30, 0.0, 1e3]), 0),
    )
    _same(nerve.median(nerve.zeros(0)), torch.median(torch.zeros(0)))
    _same(nerve.trapezoid(nerve.tensor([1, 2, 4])), torch.trapezoid(torch.tensor([1, 2, 4])))
    for name, tup in (
        ("median", "median"),
        ("mode", "mode"),
        ("cummax", "cummax"),
        ("aminmax", "aminmax"),
    ):
        assert type(getattr(nerve, name)(nerve.tensor(DISTINCT), dim=1)).__name__ == tup


def test_errors_are_torchs_types():
    pairs = [
        (lambda m: m.median(m.zeros(2, 0), 1), IndexError),
        (lambda m: m.mode(m.zeros(2, 0), 1), IndexError),
        (lambda m: m.quantile(m.zeros(0), 0.5), RuntimeError),
        (lambda m: m.quantile(m.tensor([1, 2]), 0.5), RuntimeError),
        (lambda m: m.quantile(m.tensor([1.0, 2.0]), 1.5), RuntimeError),
        (lambda m: m.quantile(m.tensor([1.0]), 0.5, interpolation="cubic"), RuntimeError),
        (lambda m: m.nanmean(m.tensor([1, 2])), RuntimeError),
        (lambda m: m.aminmax(m.zeros(0)), RuntimeError),
        (lambda m: m.cummax(m.zeros(2), 1), IndexError),
    ]
    for fn, err in pairs:
        with pytest.raises(err):
            fn(torch)
        with pytest.raises(err):
            fn(nerve)
