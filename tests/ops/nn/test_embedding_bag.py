"""F.embedding_bag (sum, mean, max; offsets, padding, per-sample weights) and F.embedding's
max_norm and scale_grad_by_freq: finite differences and torch on the same inputs."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, Const, table_tests

import nerve
import nerve.nn.functional as F

IDX = Const(np.array([1, 2, 4, 5, 4, 3, 2, 0, 4], np.int64))
OFF = Const(np.array([0, 3, 3, 7], np.int64))  # the second bag is empty
IDX2 = Const(np.array([[0, 2, 2, 5], [4, 1, 1, 1], [3, 3, 0, 2]], np.int64))
MANY = Const(np.random.default_rng(0).integers(0, 7, 300).astype(np.int64))
MANY_OFF = Const(np.sort(np.r_[0, np.random.default_rng(1).integers(0, 300, 40)]))


def _bag(**kw):
    return (
        lambda w, i, o: F.embedding_bag(i, w, o, **kw),
        lambda w, i, o: TF.embedding_bag(i, w, o, **kw),
    )


def _bag2(**kw):
    return (lambda w, i: F.embedding_bag(i, w, **kw), lambda w, i: TF.embedding_bag(i, w, **kw))


def _weighted(**kw):
    return (
        lambda w, i, o, s: F.embedding_bag(i, w, o, per_sample_weights=s, **kw),
        lambda w, i, o, s: TF.embedding_bag(i, w, o, per_sample_weights=s, **kw),
    )


CASES = [
    Case("EmbeddingBagFn/mean", *_bag(mode="mean"), [(6, 3), IDX, OFF]),
    Case("EmbeddingBagFn/sum", *_bag(mode="sum"), [(6, 3), IDX, OFF]),
    Case("EmbeddingBagFn/max", *_bag(mode="max"), [(6, 3), IDX, OFF]),
    Case("EmbeddingBagFn/2d-mean", *_bag2(mode="mean"), [(6, 2), IDX2]),
    Case("EmbeddingBagFn/2d-max", *_bag2(mode="max"), [(6, 2), IDX2]),
    Case("EmbeddingBagFn/padding-mean", *_bag(mode="mean", padding_idx=4), [(6, 3), IDX, OFF]),
    Case("EmbeddingBagFn/padding-max", *_bag(mode="max", padding_idx=2), [(6, 3), IDX, OFF]),
    Case("EmbeddingBagFn/padding-negative", *_bag2(mode="sum", padding_idx=-1), [(6, 2), IDX2]),
    # offsets ending at the input's end: torch 2.13's CPU backward reads uninitialised
    # memory for indices after the last offset (checked by hand below)
    Case(
        "EmbeddingBagFn/include-last-offset",
        *_bag(mode="sum", include_last_offset=True),
        [(6, 3), IDX, Const(np.array([0, 3, 3, 7, 9]))],
    ),
    Case("EmbeddingBagFn/per-sample-weights", *_weighted(mode="sum"), [(6, 3), IDX, OFF, (9,)]),
    Case(
        "EmbeddingBagFn/per-sample-weights-padding",
        *_weighted(mode="sum", padding_idx=4),
        [(6, 3), IDX, OFF, (9,)],
    ),
    # every index read equally often: torch 2.13's CPU kernel divides by the wrong count
    # otherwise (pytorch/pytorch#190063); the mixed case is checked by hand below
    Case(
        "EmbeddingBagFn/scale-grad-by-freq",
        *_bag(mode="mean", scale_grad_by_freq=True),
        [(6, 3), Const(np.array([3, 1, 1, 3, 0, 0, 5, 5])), Const(np.array([0, 3, 3]))],
        gradcheck=False,
    ),
    Case("EmbeddingBagFn/many-repeats", *_bag(mode="mean"), [(7, 4), MANY, MANY_OFF]),
    Case("EmbeddingBagFn/many-repeats-max", *_bag(mode="max"), [(7, 4), MANY, MANY_OFF]),
    # dividing by the count is not the derivative of the forward: against torch only
    Case(
        "EmbeddingFn/scale-grad-by-freq",
        lambda w, i: F.embedding(i, w, scale_grad_by_freq=True),
        lambda w, i: TF.embedding(i, w, scale_grad_by_freq=True),
        [(7, 4), MANY],
        gradcheck=False,
    ),
]


table_tests(CASES)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_max_norm_renormalises_read_rows_in_place_like_torch(norm_type):
    w0 = (np.random.default_rng(0).standard_normal((6, 3)) * 3).astype(np.float32)
    idx = np.array([[1, 1, 2], [5, 2, 1]])
    w, tw = nerve.tensor(w0.copy(), requires_grad=True), torch.tensor(w0.copy(), requires_grad=True)
    y = F.embedding(nerve.tensor(idx), w, max_norm=1.0, norm_type=norm_type)
    ty = TF.embedding(torch.tensor(idx), tw, max_norm=1.0, norm_type=norm_type)
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_array_equal(w.detach().numpy()[[0, 3, 4]], w0[[0, 3, 4]])
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


def test_scale_grad_by_freq_divides_by_the_true_count():
    w = nerve.ones(4, 3, requires_grad=True)
    F.embedding_bag(
        nerve.tensor([1, 1, 3]), w, nerve.tensor([0]), mode="sum", scale_grad_by_freq=True
    ).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [0, 1, 0, 1])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_indices_after_the_last_offset_belong_to_no_bag(mode):
    w = nerve.ones(6, 3, requires_grad=True)
    y = F.embedding_bag(
        nerve.tensor([1, 2, 4, 5, 4, 3, 2, 0, 4]),
        w,
        nerve.tensor([0, 3, 3, 7]),
        mode=mode,
        include_last_offset=True,
    )
    assert y.shape == (3, 3)
    y.sum().backward()
    third, quarter = 1 / 3, 1 / 4
    counts = {
        "sum": [0, 1, 2, 1, 2, 1],
        "mean": [0, third, third + quarter, quarter, third + quarter, quarter],
    }
    if mode in counts:
        np.testing.assert_allclose(w.grad.numpy()[:, 0], counts[mode], rtol=1e-6)
    else:
        assert w.grad.numpy()[0].sum() == 0


def test_embedding_bag_max_norm_like_torch():
    w0 = (np.random.default_rng(0).standard_normal((6, 3)) * 3).astype(np.float32)
    w, tw = nerve.tensor(w0.copy()), torch.tensor(w0.copy())
    idx, off = np.array([1, 2, 4, 5]), np.array([0, 2])
    y = F.embedding_bag(nerve.tensor(idx), w, nerve.tensor(off), max_norm=1.5)
    ty = TF.embedding_bag(torch.tensor(idx), tw, torch.tensor(off), max_norm=1.5)
    np.testing.assert_allclose(w.numpy(), tw.numpy(), rtol=1e-6)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-6)


def test_float64_and_empty_input():
    w = nerve.randn(5, 2, dtype=nerve.float64)
    y = F.embedding_bag(nerve.tensor(np.array([], np.int64)), w, nerve.tensor([0, 0]))
    assert y.shape == (2, 2) and y.dtype == nerve.float64 and not y.numpy().any()


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda i, w, o: F.embedding_bag(i, w, o, mode="foo"), ValueError, "mode has to be"),
        (lambda i, w, o: F.embedding_bag(i, w), ValueError, "offsets has to be a 1D"),
        (
            lambda i, w, o: F.embedding_bag(i.reshape(2, 4), w, o),
            ValueError,
            "offsets has to be None",
        ),
        (lambda i, w, o: F.embedding_bag(i.reshape(1, 2, 4), w), ValueError, "1D or 2D"),
        (
            lambda i, w, o: F.embedding_bag(i, w, nerve.tensor([1, 3])),
            RuntimeError,
            r"offsets\[0\]",
        ),
        (
            lambda i, w, o: F.embedding_bag(i, w, nerve.tensor([0, 9])),
            RuntimeError,
            "can not be greater than input's length 8",
        ),
        (
            lambda i, w, o: F.embedding_bag(i, w, nerve.tensor([0, 5, 3])),
            RuntimeError,
            "non-decreasing",
        ),
        (
            lambda i, w, o: F.embedding_bag(nerve.tensor([9]), w, nerve.tensor([0])),
            RuntimeError,
            "out of range",
        ),
        (lambda i, w, o: F.embedding_bag(i.float(), w, o), TypeError, "integer"),
        (
            lambda i, w, o: F.embedding_bag(i, w, o, mode="max", per_sample_weights=nerve.ones(8)),
            NotImplementedError,
            "only supported for mode='sum'",
        ),
        (
            lambda i, w, o: F.embedding_bag(i, w, o, mode="sum", per_sample_weights=nerve.ones(7)),
            ValueError,
            "same shape as the input",
        ),
        (
            lambda i, w, o: F.embedding_bag(i, w, o, mode="max", scale_grad_by_freq=True),
            ValueError,
            "max mode does not support",
        ),
    ],
)
def test_errors_like_torch(call, err, match):
    i, w, o = nerve.tensor([1, 2, 4, 5, 4, 3, 2, 0]), nerve.randn(6, 3), nerve.tensor([0, 3])
    with pytest.raises(err, match=match):
        call(i, w, o)
