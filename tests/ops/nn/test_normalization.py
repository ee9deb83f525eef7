"""Batch and layer normalization ops: finite differences, PyTorch, running statistics."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
import nerve.nn.functional as F
from nerve.ops.nn import normalization

RM, RV = np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.5, 2.0])


def _bn(training, eps=1e-5):
    def fn(x, w=None, b=None):
        rm = nerve.tensor(RM.astype(x.dtype), device=x.device)
        rv = nerve.tensor(RV.astype(x.dtype), device=x.device)
        return F.batch_norm(x, rm, rv, w, b, training=training, eps=eps)

    def tfn(x, w=None, b=None):
        rm = torch.from_numpy(RM).to(x.dtype)
        rv = torch.from_numpy(RV).to(x.dtype)
        return TF.batch_norm(x, rm, rv, w, b, training=training, eps=eps)

    return fn, tfn


def _permuted(fns):
    """Feed (N, H, W, C) input as the (N, C, H, W) view of its channels-last memory."""
    fn, tfn = fns
    return (
        lambda x, *a: fn(x.permute(0, 3, 1, 2), *a),
        lambda x, *a: tfn(x.permute(0, 3, 1, 2), *a),
    )


def _ln(shape):
    return (
        lambda x, w=None, b=None: F.layer_norm(x, shape, w, b),
        lambda x, w=None, b=None: TF.layer_norm(x, shape, w, b),
    )


CASES = [
    Case("BatchNorm/train_2d", *_bn(True), [(5, 3), (3,), (3,)]),
    Case("BatchNorm/train_3d", *_bn(True), [(4, 3, 2), (3,), (3,)]),
    Case("BatchNorm/train_4d", *_bn(True), [(2, 3, 2, 2), (3,), (3,)]),
    Case("BatchNorm/train_noaffine", *_bn(True), [(6, 3)]),
    Case("BatchNorm/train_batch2", *_bn(True, eps=1e-3), [(2, 3), (3,), (3,)]),
    Case("BatchNorm/eval", *_bn(False), [(5, 3), (3,), (3,)]),
    Case("BatchNorm/eval_3d", *_bn(False), [(2, 3, 4), (3,), (3,)]),
    # channels innermost in memory (a conv's output): the (N·H·W, C) fast path
    Case("BatchNorm/train_channels_last", *_permuted(_bn(True)), [(2, 2, 3, 3), (3,), (3,)]),
    Case("BatchNorm/eval_channels_last", *_permuted(_bn(False)), [(2, 3, 2, 3), (3,), (3,)]),
    Case("BatchNorm/train_channels_last_nobias", *_permuted(_bn(True)), [(3, 2, 2, 3), (3,)]),
    Case("LayerNorm", *_ln((4,)), [(3, 4), (4,), (4,)]),
    Case("LayerNorm/2dims", *_ln((2, 3)), [(2, 2, 3), (2, 3), (2, 3)]),
    Case("LayerNorm/noaffine", *_ln((5,)), [(2, 5)]),
    Case("LayerNorm/1d", *_ln((4,)), [(4,), (4,), (4,)]),
    Case(
        "LayerNorm/noncontig",
        lambda x, w, b: F.layer_norm(x.T, (3,), w, b),
        lambda x, w, b: TF.layer_norm(x.T, (3,), w, b),
        [(3, 4), (3,), (3,)],
    ),
]


table_tests(CASES, covers=normalization)


def test_running_stats_update_like_torch():
    x = np.random.default_rng(0).standard_normal((8, 3, 5)).astype(np.float32)
    rm, rv = nerve.tensor(RM, dtype=nerve.float32), nerve.tensor(RV, dtype=nerve.float32)
    trm, trv = torch.tensor(RM, dtype=torch.float32), torch.tensor(RV, dtype=torch.float32)
    for momentum in (0.1, 0.5):
        F.batch_norm(nerve.tensor(x), rm, rv, training=True, momentum=momentum)
        TF.batch_norm(torch.from_numpy(x), trm, trv, training=True, momentum=momentum)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-5, atol=1e-6)
    assert rm.dtype == nerve.float32


def test_batch_norm_stable_for_large_offsets():
    x = nerve.tensor(1e4 + np.random.default_rng(1).standard_normal((64, 2)))
    y = F.batch_norm(x, None, None, training=True).numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-3)
    np.testing.assert_allclose(y.std(0), 1, atol=1e-3)


def test_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(nerve.ones(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match="running_mean should contain 3"):
        F.batch_norm(nerve.ones(2, 3), nerve.zeros(4), nerve.ones(4), training=True)
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\].*\[2, 3\]"):
        F.layer_norm(nerve.ones(2, 3), (4,))


@pytest.mark.parametrize("k,affine", [(1, True), (2, True), (1, False)])
def test_layer_norm_in_place_forward_agrees_with_the_reference(k, affine):
    from nerve.ops.nn.normalization import layer_norm_reference

    g = np.random.default_rng(4)
    x = g.standard_normal((3, 5, 6)) * 3 + 1
    shape = x.shape[3 - k :]
    w, b = (g.standard_normal(shape), g.standard_normal(shape)) if affine else (None, None)
    got = nerve.nn.functional.layer_norm(
        nerve.from_numpy(x), shape, *(None if a is None else nerve.from_numpy(a) for a in (w, b))
    )
    np.testing.assert_allclose(
        got.numpy(), layer_norm_reference(x, w, b, k), rtol=1e-12, atol=1e-12
    )
