"""Indexed writes and reads (nerve/ops/shape/index_write.py) with gradients, and the integer ops
without one (nerve/functional/counting.py): values and dtypes as torch's, edges included."""

import numpy as np
import pytest
import torch
from opcheck import Case, table_tests

import nerve

pytestmark = pytest.mark.filterwarnings("ignore:index_reduce")


def idx(*values):
    return np.array(values, np.int64)


def pair(fn):
    """fn(m, *xs) called with nerve or torch as m: one row serves both frameworks."""

    def on_device(xs):  # fixed indices and masks go where the inputs are, as torch needs
        return lambda a: nerve.from_numpy(a).to(xs[0].device)

    return (lambda *xs: fn(nerve, on_device(xs), *xs), lambda *xs: fn(torch, torch.from_numpy, *xs))


def row(name, fn, inputs, **kw):
    ours, theirs = pair(fn)
    return Case(name, ours, theirs, inputs, **kw)


SCATTER_IDX = idx(0, 2, 0, 1, 2, 0).reshape(2, 3)
DISTINCT = np.random.default_rng(2).permutation(12).reshape(3, 4) * 0.5 - 2.0
DISTINCT_SRC = np.random.default_rng(4).permutation(6).reshape(2, 3) * 0.5 - 1.2
MASK = np.array([[True, False, True, False], [False, False, True, True], [True] * 4])

CASES = [
    row("PutAt/index_copy", lambda m, f, x, s: x.index_copy(1, f(idx(3, 0)), s), [(3, 4), (3, 2)]),
    row(
        "PutAt/index_put",
        lambda m, f, x, v: x.index_put((f(idx(0, 2)), f(idx(1, 3))), v),
        [(3, 4), (2,)],
    ),
    row(
        "PutAt/index_put_accumulate",
        lambda m, f, x, v: m.index_put(x, (f(idx(0, 0, 1)),), v, accumulate=True),
        [(3, 4), (3, 4)],
    ),
    row(
        "PutAt/index_put_broadcast",
        lambda m, f, x, v: x.index_put((f(idx(2, 0)),), v),
        [(3, 4), (4,)],
    ),
    row("PutAt/select_scatter", lambda m, f, x, s: m.select_scatter(x, s, 1, -1), [(3, 4), (3,)]),
    row("PutAt/slice_scatter", lambda m, f, x, s: x.slice_scatter(s, 1, 0, 4, 2), [(3, 4), (3, 2)]),
    row(
        "PutAt/slice_scatter_dim0",
        lambda m, f, x, s: m.slice_scatter(x, s, start=1),
        [(3, 4), (2, 4)],
    ),
    row("PutAt/diagonal_scatter", lambda m, f, x, s: m.diagonal_scatter(x, s, 1), [(3, 4), (3,)]),
    row(
        "PutAt/diagonal_scatter_3d",
        lambda m, f, x, s: x.diagonal_scatter(s, -1, 0, 2),
        [(3, 2, 4), (2, 2)],
    ),
    row(
        "PutAt/diagonal_scatter_adjacent",
        lambda m, f, x, s: x.diagonal_scatter(s, 0, 1, 2),
        [(2, 3, 3), (2, 3)],
    ),
    row("MaskedScatter/basic", lambda m, f, x, s: x.masked_scatter(f(MASK), s), [(3, 4), (3, 4)]),
    row(
        "MaskedScatter/broadcast_mask",
        lambda m, f, x, s: m.masked_scatter(x, f(MASK[0]), s),
        [(3, 4), (7,)],
    ),
    *[
        row(
            f"ScatterReduce/{r}_{inc}",
            lambda m, f, x, s, r=r, inc=inc: x.scatter_reduce(
                1, f(SCATTER_IDX), s, r, include_self=inc
            ),
            [DISTINCT, DISTINCT_SRC],
        )
        for r in ("sum", "prod", "mean", "amax", "amin")
        for inc in (True, False)
    ],
    row(
        "ScatterReduce/prod_zeros",
        lambda m, f, x, s: m.scatter_reduce(x, 0, f(idx(0, 0, 1, 1)), s, "prod"),
        [np.array([1.5, 0.0, 2.0]), np.array([0.0, 3.0, 0.0, 0.0])],
        gradcheck=False,
    ),
    row(
        "ScatterReduce/amax_ties",
        lambda m, f, x, s: m.scatter_reduce(x, 0, f(idx(0, 0, 1)), s, "amax"),
        [np.array([2.0, 1.0]), np.array([2.0, 2.0, 0.5])],
        gradcheck=False,
    ),
    row(
        "ScatterReduce/index_reduce_prod",
        lambda m, f, x, s: x.index_reduce(0, f(idx(0, 2, 0)), s, "prod"),
        [(3, 2), (3, 2)],
    ),
    row(
        "ScatterReduce/index_reduce_mean",
        lambda m, f, x, s: m.index_reduce(x, 1, f(idx(1, 1)), s, "mean", include_self=False),
        [(2, 3), (2, 2)],
    ),
    row(
        "ScatterReduce/index_reduce_amin",
        lambda m, f, x, s: x.index_reduce(0, f(idx(1, 0)), s, "amin"),
        [DISTINCT[:2], DISTINCT[1:]],
    ),
    row("index/index_fill", lambda m, f, x: x.index_fill(1, f(idx(0, 2)), -1.5), [(3, 4)]),
    row(
        "index/index_fill_tensor", lambda m, f, x, v: m.index_fill(x, 0, f(idx(1)), v), [(3, 4), ()]
    ),
    row("index/take", lambda m, f, x: m.take(x, f(idx(0, -1, 5, 5))), [(3, 4)]),
    row("index/take_2d_index", lambda m, f, x: x.take(f(idx(1, 2, 3, 0).reshape(2, 2))), [(2, 2)]),
    row(
        "index/take_along_dim",
        lambda m, f, x: m.take_along_dim(x, f(idx(0, 2, 1).reshape(3, 1)), 1),
        [(3, 4)],
    ),
    row(
        "index/take_along_dim_broadcast",
        lambda m, f, x: x.take_along_dim(f(idx(0, 3).reshape(1, 2)), 1),
        [(3, 4)],
    ),
    row(
        "index/take_along_dim_flat", lambda m, f, x: m.take_along_dim(x, f(idx(5, 0, 11))), [(3, 4)]
    ),
]


table_tests(CASES)


def _same(ours, theirs):
    if isinstance(theirs, tuple | list):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _same(o, t)
        return
    t = theirs.numpy()
    assert tuple(ours.shape) == t.shape and ours.dtype == t.dtype, (ours, theirs)
    np.testing.assert_array_equal(ours.numpy(), t)


def _both(fn):
    _same(fn(nerve, nerve.from_numpy), fn(torch, torch.from_numpy))


INTS = np.array([3, 1, 3, 0, 1, 3, 7], np.int64)
FLOATS = np.array([0.5, -1.0, 2.5, 2.5, 3.0, np.inf, 1.0], np.float32)
ROWS = np.array([[1, 2], [1, 2], [0, 1], [1, 2]], np.int64)


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, f: m.nonzero(f(INTS)),
        lambda m, f: m.nonzero(f(ROWS), as_tuple=True),
        lambda m, f: m.nonzero(f(np.array(3))),
        lambda m, f: m.argwhere(f(ROWS - 1)),
        lambda m, f: m.bincount(f(INTS)),
        lambda m, f: m.bincount(f(INTS), minlength=10),
        lambda m, f: m.bincount(f(INTS), f(FLOATS.copy())),
        lambda m, f: m.bincount(f(INTS), f(INTS.astype(np.int32))),
        lambda m, f: m.bincount(f(np.zeros(0, np.int64))),
        lambda m, f: m.histc(f(FLOATS[FLOATS < 5]), bins=4),
        lambda m, f: m.histc(f(FLOATS), bins=5, min=0, max=3),
        lambda m, f: m.histc(f(np.ones(3, np.float64)), bins=3),
        lambda m, f: m.bucketize(f(FLOATS), f(np.array([0.0, 1.0, 2.5, 3.0], np.float32))),
        lambda m, f: m.bucketize(
            f(FLOATS), f(np.array([0.0, 2.5], np.float32)), right=True, out_int32=True
        ),
        lambda m, f: m.searchsorted(
            f(np.array([[1, 3, 5], [2, 4, 6]])), f(np.array([[3, 6], [0, 4]]))
        ),
        lambda m, f: m.searchsorted(f(np.array([1, 3, 5])), f(np.array([3, 6])), side="right"),
        lambda m, f: m.searchsorted(
            f(np.array([5, 1, 3])), f(np.array([3, 4])), sorter=f(np.array([1, 2, 0]))
        ),
        lambda m, f: m.unique(f(INTS)),
        lambda m, f: m.unique(f(INTS), return_inverse=True, return_counts=True),
        lambda m, f: m.unique(f(ROWS), dim=0, return_inverse=True, return_counts=True),
        lambda m, f: m.unique(f(FLOATS), return_counts=True),
        lambda m, f: m.unique(f(np.zeros(0, np.float32))),
        lambda m, f: m.unique_consecutive(f(INTS), return_inverse=True, return_counts=True),
        lambda m, f: m.unique_consecutive(f(ROWS), dim=0, return_counts=True),
        lambda m, f: m.unique_consecutive(f(ROWS.T.copy()), dim=1, return_inverse=True),
        lambda m, f: f(ROWS).unique(return_inverse=True),
    ],
    ids=lambda fn: "",
)
def test_integer_ops_as_torch(fn):
    _both(fn)


def test_inplace_forms_write_into_the_tensor():
    for m, f in ((nerve, nerve.from_numpy), (torch, torch.from_numpy)):
        x = m.zeros(3, 4)
        x.index_fill_(1, f(idx(1)), 2.0).index_copy_(0, f(idx(2)), m.ones(1, 4))
        x.index_put_((f(idx(0)), f(idx(0))), m.tensor(5.0), accumulate=True)
        x.masked_scatter_(f(MASK) & False, m.ones(12))
        x.scatter_reduce_(0, f(idx(0, 0, 0, 0).reshape(1, 4)), m.full((1, 4), 3.0), "amax")
        if m is nerve:
            ours = x.numpy().copy()
        else:
            np.testing.assert_array_equal(ours, x.numpy())


def test_errors_are_torchs_types():
    pairs = [
        (lambda m, f: m.zeros(3).index_copy(0, f(idx(5)), m.ones(1)), IndexError),
        (lambda m, f: m.zeros(3, 2).index_put((f(idx(0)),), m.ones(3)), RuntimeError),
        (lambda m, f: m.zeros(3).scatter_reduce(0, f(idx(5)), m.ones(1), "sum"), RuntimeError),
        (lambda m, f: m.zeros(3).index_fill(0, f(idx(5)), 1.0), IndexError),
        (lambda m, f: m.zeros(3).masked_scatter(f(np.ones(3, bool)), m.ones(2)), RuntimeError),
        (lambda m, f: m.select_scatter(m.zeros(3, 2), m.ones(2), 1, 0), RuntimeError),
        (lambda m, f: m.bincount(f(idx(-1, 2))), RuntimeError),
        (lambda m, f: m.histc(f(idx(1, 2))), NotImplementedError),
        (lambda m, f: m.bincount(f(np.zeros((2, 2), np.int64))), RuntimeError),
        (lambda m, f: m.take(m.zeros(3), f(idx(3))), IndexError),
        (lambda m, f: m.searchsorted(f(np.zeros((2, 3))), f(np.zeros((3, 1)))), RuntimeError),
    ]
    for fn, err in pairs:
        with pytest.raises(err):
            fn(torch, torch.from_numpy)
        with pytest.raises(err):
            fn(nerve, nerve.from_numpy)
