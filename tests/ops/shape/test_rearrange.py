import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from opcheck import Case, table_tests

import nerve


def _pieces(*xs):
    """Weight each piece differently so that a swapped gradient shows."""
    return tuple(x * (i + 1) for i, x in enumerate(xs))


CASES = [
    Case("Reshape/view", lambda x: x.view(4, 3), lambda x: x.view(4, 3), [(3, 4)]),
    Case("Reshape/minus1", lambda x: x.reshape(-1, 2), lambda x: x.reshape(-1, 2), [(3, 4)]),
    Case("Reshape/to_0d", lambda x: x.reshape(()), lambda x: x.reshape(()), [(1, 1)]),
    Case("Reshape/from_0d", lambda x: x.reshape(1, 1, 1), lambda x: x.reshape(1, 1, 1), [()]),
    Case("Reshape/noncontig", lambda x: x.T.reshape(-1), lambda x: x.T.reshape(-1), [(3, 4)]),
    Case("Reshape/flatten", lambda x: x.flatten(1), lambda x: x.flatten(1), [(2, 3, 4)]),
    Case(
        "Reshape/flatten_mid",
        lambda x: nerve.flatten(x, 1, 2),
        lambda x: torch.flatten(x, 1, 2),
        [(2, 3, 4, 1)],
    ),
    Case(
        "Reshape/unflatten",
        lambda x: x.unflatten(1, (2, 3)),
        lambda x: x.unflatten(1, (2, 3)),
        [(2, 6)],
    ),
    Case("Reshape/squeeze", lambda x: x.squeeze(), lambda x: x.squeeze(), [(1, 3, 1, 2)]),
    Case("Reshape/squeeze_dim", lambda x: x.squeeze(-2), lambda x: x.squeeze(-2), [(3, 1, 2)]),
    Case("Reshape/squeeze_non1", lambda x: x.squeeze(0), lambda x: x.squeeze(0), [(3, 2)]),
    Case("Reshape/unsqueeze", lambda x: x.unsqueeze(1), lambda x: x.unsqueeze(1), [(3, 2)]),
    Case(
        "Reshape/unsqueeze_last",
        lambda x: nerve.unsqueeze(x, -1),
        lambda x: torch.unsqueeze(x, -1),
        [(3,)],
    ),
    Case(
        "Reshape/view_as",
        lambda x, y: x.view_as(y) * y,
        lambda x, y: x.view_as(y) * y,
        [(6,), (2, 3)],
    ),
    Case("Permute/3d", lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1), [(2, 3, 4)]),
    Case(
        "Permute/transpose", lambda x: x.transpose(0, -1), lambda x: x.transpose(0, -1), [(2, 3, 4)]
    ),
    Case("Permute/T", lambda x: x.T, lambda x: x.T, [(3, 4)]),
    Case("Permute/t", lambda x: x.t(), lambda x: x.t(), [(3, 2)]),
    Case("Permute/mT", lambda x: x.mT, lambda x: x.mT, [(2, 3, 4)]),
    Case("Expand/new_axes", lambda x: x.expand(2, 3, 4), lambda x: x.expand(2, 3, 4), [(3, 1)]),
    Case("Expand/minus1", lambda x: x.expand(-1, 5), lambda x: x.expand(-1, 5), [(3, 1)]),
    Case(
        "Expand/expand_as",
        lambda x, y: x.expand_as(y) * y,
        lambda x, y: x.expand_as(y) * y,
        [(1, 4), (3, 4)],
    ),
    Case("Expand/repeat", lambda x: x.repeat(2, 1, 3), lambda x: x.repeat(2, 1, 3), [(2, 3)]),
    Case(
        "Expand/broadcast_to",
        lambda x: nerve.broadcast_to(x, (2, 3)),
        lambda x: torch.broadcast_to(x, (2, 3)),
        [()],
    ),
    Case(
        "Cat/dim0", lambda a, b: nerve.cat([a, b]), lambda a, b: torch.cat([a, b]), [(2, 3), (4, 3)]
    ),
    Case(
        "Cat/negdim",
        lambda a, b, c: nerve.cat([a, b, c], -1),
        lambda a, b, c: torch.cat([a, b, c], -1),
        [(2, 1), (2, 3), (2, 2)],
    ),
    Case(
        "Cat/noncontig",
        lambda a, b: nerve.cat([a.T, b], 1),
        lambda a, b: torch.cat([a.T, b], 1),
        [(3, 2), (2, 2)],
    ),
    Case(
        "Stack/dim0",
        lambda a, b: nerve.stack([a, b]),
        lambda a, b: torch.stack([a, b]),
        [(2, 3), (2, 3)],
    ),
    Case(
        "Stack/lastdim",
        lambda a, b, c: nerve.stack([a, b, c], -1),
        lambda a, b, c: torch.stack([a, b, c], -1),
        [(2,), (2,), (2,)],
    ),
    Case("Stack/0d", lambda a, b: nerve.stack([a, b]), lambda a, b: torch.stack([a, b]), [(), ()]),
    Case("Split/size", lambda x: _pieces(*x.split(2)), lambda x: _pieces(*x.split(2)), [(5, 2)]),
    Case(
        "Split/sections",
        lambda x: _pieces(*nerve.split(x, [1, 3], 1)),
        lambda x: _pieces(*torch.split(x, [1, 3], 1)),
        [(2, 4)],
    ),
    Case("Split/unused_piece", lambda x: x.split(2)[1], lambda x: x.split(2)[1], [(5,)]),
    Case(
        "Split/chunk",
        lambda x: _pieces(*x.chunk(3, -1)),
        lambda x: _pieces(*x.chunk(3, -1)),
        [(2, 7)],
    ),
    Case(
        "Split/unbind", lambda x: _pieces(*x.unbind(1)), lambda x: _pieces(*x.unbind(1)), [(2, 3)]
    ),
    Case("Pad/last", lambda x: nerve.pad(x, (1, 2)), lambda x: TF.pad(x, (1, 2)), [(2, 3)]),
    Case(
        "Pad/two_dims_value",
        lambda x: nerve.pad(x, (1, 0, 0, 2), value=0.5),
        lambda x: TF.pad(x, (1, 0, 0, 2), value=0.5),
        [(1, 2, 2, 3)],
    ),
    Case(
        "PadEdge/reflect",
        lambda x: nerve.pad(x, (2, 1), mode="reflect"),
        lambda x: TF.pad(x, (2, 1), mode="reflect"),
        [(1, 2, 5)],
    ),
    Case(
        "PadEdge/replicate",
        lambda x: nerve.pad(x, (1, 2, 2, 1), mode="replicate"),
        lambda x: TF.pad(x, (1, 2, 2, 1), mode="replicate"),
        [(1, 1, 3, 3)],
    ),
    Case(
        "PadEdge/circular",
        lambda x: nerve.pad(x, (1, 2), mode="circular"),
        lambda x: TF.pad(x, (1, 2), mode="circular"),
        [(1, 2, 4)],
    ),
]


table_tests(CASES)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_random_permutations_against_torch(shape, data):
    dims = data.draw(st.permutations(range(len(shape))))
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    y = nerve.tensor(x).permute(*dims)
    np.testing.assert_array_equal(y.numpy(), torch.tensor(x).permute(*dims).numpy())


@pytest.mark.parametrize("n,k", [(5, 3), (6, 4), (7, 7), (3, 5), (10, 4)])
def test_chunk_sizes_match_torch(n, k):
    ours = [p.shape[0] for p in nerve.zeros(n).chunk(k)]
    assert ours == [p.shape[0] for p in torch.zeros(n).chunk(k)]


@pytest.mark.parametrize("n,s", [(5, 2), (6, 3), (2, 5)])
def test_split_sizes_match_torch(n, s):
    ours = [p.shape[0] for p in nerve.zeros(n).split(s)]
    assert ours == [p.shape[0] for p in torch.zeros(n).split(s)]


def test_split_sections_must_sum_to_size():
    with pytest.raises(RuntimeError, match="sum"):
        nerve.zeros(5).split([2, 2])


def test_squeeze_of_non1_dim_is_noop():
    x = nerve.zeros(2, 3)
    assert x.squeeze(0).shape == (2, 3) and x.squeeze(1).shape == (2, 3)


def test_T_reverses_dims():
    assert nerve.zeros(2, 3).T.shape == (3, 2)
    assert nerve.zeros(3).T.shape == (3,)


def test_cat_mismatch_names_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"cat.*\(2, 3\).*\(2, 4\)"):
        nerve.cat([nerve.ones(2, 3), nerve.ones(2, 4)])
    with pytest.raises(ValueError, match="cat"):  # torch's type for an empty list
        nerve.cat([])


def test_stack_mismatch_raises():
    with pytest.raises(RuntimeError, match=r"stack.*\(2,\).*\(3,\)"):
        nerve.stack([nerve.ones(2), nerve.ones(3)])


def test_reshape_invalid_size_raises():
    with pytest.raises(RuntimeError, match=r"\[5, -1\].*12"):
        nerve.ones(3, 4).view(5, -1)


def test_expand_bad_size_raises():
    with pytest.raises(RuntimeError, match="expand"):
        nerve.ones(3, 2).expand(3, 4)


def test_shape_dim_out_of_range_raises_index_error():
    x = nerve.ones(2, 3)
    for fn in (
        lambda: x.transpose(0, 2),
        lambda: x.unsqueeze(4),
        lambda: x.squeeze(3),
        lambda: x.permute(0, 5),
        lambda: nerve.cat([x, x], 2),
        lambda: nerve.stack([x, x], 4),
        lambda: x.split(1, 2),
        lambda: x.flatten(3),
    ):
        with pytest.raises(IndexError, match="out of range"):
            fn()


def test_permute_wrong_number_of_dims_raises():
    with pytest.raises(RuntimeError, match="permute"):
        nerve.ones(2, 3).permute(0)


def test_reshape_shares_gradient_with_input_through_views():
    x = nerve.ones(2, 3, requires_grad=True)
    (x.view(3, 2)[0] * 2).sum().backward()
    assert x.grad.numpy().tolist() == [[2, 2, 0], [0, 0, 0]]


def test_pad_rejects_odd_length():
    with pytest.raises(RuntimeError, match="pad"):
        nerve.pad(nerve.ones(2, 3), (1,))


def test_cat_and_stack_promote_like_torch():
    pairs = [
        (nerve.tensor([1]), nerve.tensor([1.5])),
        (nerve.tensor([True]), nerve.tensor([2])),
        (nerve.ones(1), nerve.ones(1, dtype=nerve.float64)),
    ]
    for a, b in pairs:
        ta, tb = torch.from_numpy(a.numpy()), torch.from_numpy(b.numpy())
        assert nerve.cat([a, b]).dtype == torch.cat([ta, tb]).numpy().dtype
        assert nerve.stack([a, b]).dtype == torch.stack([ta, tb]).numpy().dtype
    x = nerve.ones(2, requires_grad=True)
    nerve.cat([x, nerve.tensor([3])]).sum().backward()
    assert x.grad.dtype == nerve.float32 and x.grad.tolist() == [1.0, 1.0]


def test_negative_padding_crops_like_torch():
    x = np.arange(24, dtype=np.float32).reshape(1, 4, 6)
    for widths in [(-1, 2), (1, -2, -1, 0), (-2, -1, 0, 1)]:
        a, t = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = nerve.pad(a, widths, value=-1.0), TF.pad(t, widths, value=-1.0)
        np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
        (y * y).sum().backward()
        (ty * ty).sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), t.grad.numpy())


def test_cat_of_0d_raises():
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        nerve.cat([nerve.tensor(1.0), nerve.tensor(2.0)])
