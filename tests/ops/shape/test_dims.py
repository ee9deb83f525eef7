"""Shape ops (nerve/ops/shape/dims.py): the sliding-window view and the composites, in
float64 finite differences and against torch."""

import numpy as np
import pytest
import torch
from opcheck import Case, table_tests

import nerve

CASES = [
    Case(
        "UnfoldDim/overlap", lambda x: x.unfold(1, 3, 1), lambda x: x.unfold(1, 3, 1), [(2, 6, 3)]
    ),
    Case(
        "UnfoldDim/stride_gap", lambda x: x.unfold(0, 2, 3), lambda x: x.unfold(0, 2, 3), [(8, 2)]
    ),
    Case("UnfoldDim/last", lambda x: x.unfold(-1, 2, 2), lambda x: x.unfold(-1, 2, 2), [(3, 5)]),
    Case("UnfoldDim/scalar", lambda x: x.unfold(0, 1, 1), lambda x: x.unfold(0, 1, 1), [()]),
    Case(
        "UnfoldDim/noncontig",
        lambda x: x.T.unfold(0, 2, 1),
        lambda x: x.T.unfold(0, 2, 1),
        [(3, 4)],
    ),
    Case(
        "shape/tile",
        lambda x: nerve.tile(x, (2, 1, 3)),
        lambda x: torch.tile(x, (2, 1, 3)),
        [(2, 3)],
    ),
    Case("shape/tile_short", lambda x: x.tile((2,)), lambda x: x.tile((2,)), [(2, 3)]),
    Case("shape/ravel", lambda x: x.T.ravel(), lambda x: x.T.ravel(), [(2, 3)]),
    Case(
        "shape/movedim",
        lambda x: nerve.movedim(x, (0, 1), (2, 0)),
        lambda x: torch.movedim(x, (0, 1), (2, 0)),
        [(2, 3, 4)],
    ),
    Case("shape/moveaxis", lambda x: x.moveaxis(-1, 0), lambda x: x.moveaxis(-1, 0), [(2, 3, 4)]),
    Case("shape/swapdims", lambda x: x.swapdims(0, 2), lambda x: x.swapdims(0, 2), [(2, 3, 4)]),
    Case("shape/narrow", lambda x: x.narrow(1, -3, 2), lambda x: x.narrow(1, -3, 2), [(2, 4)]),
    Case(
        "shape/narrow_copy",
        lambda x: nerve.narrow_copy(x, 0, 1, 1),
        lambda x: torch.narrow_copy(x, 0, 1, 1),
        [(2, 4)],
    ),
    Case("shape/select", lambda x: x.select(1, -1), lambda x: x.select(1, -1), [(2, 4)]),
    Case(
        "shape/tensor_split_sections",
        lambda x: nerve.tensor_split(x, 3, 1),
        lambda x: torch.tensor_split(x, 3, 1),
        [(2, 7)],
    ),
    Case(
        "shape/tensor_split_indices",
        lambda x: x.tensor_split([1, 4, 2]),
        lambda x: x.tensor_split([1, 4, 2]),
        [(5, 2)],
    ),
    Case("shape/hsplit", lambda x: nerve.hsplit(x, 2), lambda x: torch.hsplit(x, 2), [(3, 4)]),
    Case("shape/vsplit", lambda x: x.vsplit([1]), lambda x: x.vsplit([1]), [(3, 4)]),
    Case("shape/dsplit", lambda x: nerve.dsplit(x, 2), lambda x: torch.dsplit(x, 2), [(2, 1, 4)]),
    Case(
        "shape/split_with_sizes",
        lambda x: x.split_with_sizes([1, 3], 1),
        lambda x: x.split_with_sizes([1, 3], 1),
        [(2, 4)],
    ),
    Case(
        "shape/hstack",
        lambda a, b: nerve.hstack([a, b]),
        lambda a, b: torch.hstack([a, b]),
        [(2, 3), (2, 1)],
    ),
    Case(
        "shape/hstack_1d",
        lambda a, b: nerve.hstack((a, b)),
        lambda a, b: torch.hstack((a, b)),
        [(3,), ()],
    ),
    Case(
        "shape/vstack",
        lambda a, b: nerve.vstack([a, b]),
        lambda a, b: torch.vstack([a, b]),
        [(3,), (2, 3)],
    ),
    Case(
        "shape/row_stack",
        lambda a, b: nerve.row_stack([a, b]),
        lambda a, b: torch.row_stack([a, b]),
        [(3,), (3,)],
    ),
    Case(
        "shape/dstack",
        lambda a, b: nerve.dstack([a, b]),
        lambda a, b: torch.dstack([a, b]),
        [(2, 3), (2, 3, 2)],
    ),
    Case(
        "shape/column_stack",
        lambda a, b, c: nerve.column_stack([a, b, c]),
        lambda a, b, c: torch.column_stack([a, b, c]),
        [(3,), (3, 2), (3,)],
    ),
    Case(
        "shape/atleast",
        lambda a, b, c: (nerve.atleast_1d(a), *nerve.atleast_2d(b, a), *nerve.atleast_3d([c, b])),
        lambda a, b, c: (torch.atleast_1d(a), *torch.atleast_2d(b, a), *torch.atleast_3d([c, b])),
        [(), (3,), (2, 3)],
    ),
    Case(
        "shape/rot90",
        lambda x: (x.rot90(), nerve.rot90(x, 2, (1, 0)), x.rot90(-1, (0, 2))),
        lambda x: (x.rot90(), torch.rot90(x, 2, (1, 0)), x.rot90(-1, (0, 2))),
        [(2, 3, 4)],
    ),
    Case(
        "shape/broadcast_tensors",
        lambda a, b: nerve.broadcast_tensors(a, b),
        lambda a, b: torch.broadcast_tensors(a, b),
        [(3, 1), (1, 4)],
    ),
    Case(
        "shape/meshgrid_ij",
        lambda a, b: nerve.meshgrid(a, b, indexing="ij"),
        lambda a, b: torch.meshgrid(a, b, indexing="ij"),
        [(3,), (4,)],
    ),
    Case(
        "shape/meshgrid_xy",
        lambda a, b, c: nerve.meshgrid([a, b, c], indexing="xy"),
        lambda a, b, c: torch.meshgrid([a, b, c], indexing="xy"),
        [(3,), (4,), (2,)],
    ),
    Case("shape/cartesian_prod", nerve.cartesian_prod, torch.cartesian_prod, [(3,), (2,)]),
    Case(
        "shape/combinations",
        lambda x: nerve.combinations(x, 3),
        lambda x: torch.combinations(x, 3),
        [(5,)],
    ),
    Case(
        "shape/combinations_repl",
        lambda x: nerve.combinations(x, with_replacement=True),
        lambda x: torch.combinations(x, with_replacement=True),
        [(3,)],
    ),
    Case("shape/block_diag", nerve.block_diag, torch.block_diag, [(2, 3), (), (2,)]),
    Case("shape/diag_embed", lambda x: x.diag_embed(), lambda x: x.diag_embed(), [(2, 3)]),
    Case(
        "shape/diag_embed_dims",
        lambda x: nerve.diag_embed(x, -1, 0, 2),
        lambda x: torch.diag_embed(x, -1, 0, 2),
        [(2, 3)],
    ),
    Case(
        "shape/diag_embed_swapped",
        lambda x: nerve.diag_embed(x, 1, 2, 0),
        lambda x: torch.diag_embed(x, 1, 2, 0),
        [(2, 3)],
    ),
    Case("shape/diagflat", lambda x: x.diagflat(1), lambda x: x.diagflat(1), [(2, 2)]),
    # torch's own vander backward fails (an in-place cumprod): compare values only
    Case("shape/vander", lambda x: nerve.vander(x), lambda x: torch.vander(x.detach()), [(4,)]),
    Case(
        "shape/vander_zero_incr",
        lambda x: nerve.vander(x, 3, True),
        lambda x: torch.vander(x.detach(), 3, True),
        [np.array([0.0, 1.5, -2.0])],
    ),
    Case("shape/diff", lambda x: x.diff(), lambda x: x.diff(), [(3, 5)]),
    Case(
        "shape/diff_n_pre_app",
        lambda x, p, a: nerve.diff(x, 2, 0, p, a),
        lambda x, p, a: torch.diff(x, 2, 0, p, a),
        [(3, 2), (1, 2), (2, 2)],
    ),
    Case(
        "shape/sum_to_size",
        lambda x: x.sum_to_size(3, 1),
        lambda x: x.sum_to_size(3, 1),
        [(2, 3, 4)],
    ),
]


table_tests(CASES)


def _same(ours, theirs):
    if isinstance(theirs, tuple | list):
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _same(o, t)
        return
    t = theirs.numpy()
    assert tuple(ours.shape) == t.shape and ours.dtype == t.dtype, (
        ours.shape,
        t.shape,
        ours.dtype,
        t.dtype,
    )
    np.testing.assert_array_equal(ours.numpy(), t)


def test_integer_and_edge_results_match_torch():
    for n, r, off in ((4, 3, 0), (3, 5, -1), (0, 2, 0), (4, 4, 2)):
        _same(nerve.tril_indices(n, r, off), torch.tril_indices(n, r, off))
        _same(nerve.triu_indices(n, r, off), torch.triu_indices(n, r, off))
    idx = torch.tensor([0, 5, 11, 7])
    _same(nerve.unravel_index(nerve.tensor(idx.numpy()), (3, 4)), torch.unravel_index(idx, (3, 4)))
    assert nerve.broadcast_shapes((2, 1), (3, 1, 4), 1) == torch.broadcast_shapes(
        (2, 1), (3, 1, 4), 1
    )
    i = np.array([1, 4, 9, 16], np.int64)
    _same(nerve.diff(nerve.tensor(i), n=2), torch.diff(torch.tensor(i), n=2))
    b = np.array([True, False, False])
    _same(nerve.diff(nerve.tensor(b)), torch.diff(torch.tensor(b)))
    _same(nerve.vander(nerve.tensor(i[:3])), torch.vander(torch.tensor(i[:3])))
    _same(nerve.vander(nerve.tensor([1.0, 2.0]), N=0), torch.vander(torch.tensor([1.0, 2.0]), N=0))
    _same(nerve.combinations(nerve.arange(3.0), 4), torch.combinations(torch.arange(3.0), 4))
    _same(nerve.combinations(nerve.arange(0.0)), torch.combinations(torch.arange(0.0)))
    _same(nerve.tensor_split(nerve.arange(5), [3, 1]), torch.tensor_split(torch.arange(5), [3, 1]))
    _same(nerve.tensor_split(nerve.arange(2), 4), torch.tensor_split(torch.arange(2), 4))
    _same(
        nerve.block_diag(nerve.ones(2, 2), nerve.tensor(3), nerve.ones(3, dtype=nerve.int64)),
        torch.block_diag(torch.ones(2, 2), torch.tensor(3), torch.ones(3, dtype=torch.int64)),
    )
    _same(nerve.zeros(5).unfold(0, 2, 2), torch.zeros(5).unfold(0, 2, 2))
    _same(nerve.zeros(3, 0).unfold(1, 0, 1), torch.zeros(3, 0).unfold(1, 0, 1))
    _same(
        nerve.hstack([nerve.zeros(0), nerve.ones(2)]), torch.hstack([torch.zeros(0), torch.ones(2)])
    )


def test_tensor_introspection_matches_torch():
    t, n = torch.zeros(2, 3, 4), nerve.zeros(2, 3, 4)
    assert n.stride() == t.stride() and n.stride(-1) == t.stride(-1)
    assert n.permute(2, 0, 1).stride() == t.permute(2, 0, 1).stride()
    assert n[:, 1:, 2:].storage_offset() == t[:, 1:, 2:].storage_offset()
    assert n.ndimension() == 3 and n.is_same_size(nerve.ones(2, 3, 4))
    assert not n.is_same_size(nerve.ones(3, 2, 4))
    e = n.new_empty_strided((2, 2), (2, 1))
    assert e.shape == (2, 2) and e.dtype == nerve.float32


def test_errors_are_torchs_types():
    x = nerve.zeros(3, 4)
    cases = [
        (lambda: nerve.hsplit(x, 3), RuntimeError),
        (lambda: nerve.broadcast_shapes((2, 3), (3, 2)), RuntimeError),
        (lambda: nerve.zeros(3).select(0, 5), IndexError),
        (lambda: nerve.zeros(3).narrow(0, 2, 5), RuntimeError),
        (lambda: x.unfold(1, 5, 1), RuntimeError),
        (lambda: x.unfold(1, 2, 0), RuntimeError),
        (lambda: x.movedim((0, 1), (0,)), RuntimeError),
        (lambda: nerve.vsplit(nerve.zeros(3), 1), RuntimeError),
        (lambda: x.rot90(1, (0, 0)), RuntimeError),
        (lambda: nerve.meshgrid(x, x), RuntimeError),
        (lambda: x.sum_to_size(2, 4), RuntimeError),
    ]
    tx = torch.zeros(3, 4)
    tcases = [
        lambda: torch.hsplit(tx, 3),
        lambda: torch.broadcast_shapes((2, 3), (3, 2)),
        lambda: torch.zeros(3).select(0, 5),
        lambda: torch.zeros(3).narrow(0, 2, 5),
        lambda: tx.unfold(1, 5, 1),
        lambda: tx.unfold(1, 2, 0),
        lambda: tx.movedim((0, 1), (0,)),
        lambda: torch.vsplit(torch.zeros(3), 1),
        lambda: tx.rot90(1, (0, 0)),
        lambda: torch.meshgrid(tx, tx, indexing="ij"),
        lambda: tx.sum_to_size(2, 4),
    ]
    for (ours, err), theirs in zip(cases, tcases):
        with pytest.raises(err):
            theirs()
        with pytest.raises(err):
            ours()


def test_unfold_without_overlap_is_a_writable_view_as_torch():
    for m in (nerve, torch):
        x = m.arange(6.0)
        x.unfold(0, 2, 2).mul_(2)
        assert x.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
