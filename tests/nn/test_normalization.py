"""BatchNorm1d/2d and LayerNorm against torch.nn: outputs, gradients, running statistics."""

import numpy as np
import pytest
import torch
from layercheck import load_from_torch, twin_check

import nerve
import nerve.nn as nn

BN_KW = [
    dict(),
    dict(affine=False),
    dict(momentum=None),
    dict(momentum=0.3, eps=1e-3),
    dict(bias=False),
    dict(track_running_stats=False),
]


@pytest.mark.parametrize("kw", BN_KW, ids=str)
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batchnorm1d_train_then_eval(kw, shape):
    m, t = nn.BatchNorm1d(3, **kw), torch.nn.BatchNorm1d(3, **kw)
    with torch.no_grad():
        for p in t.parameters():
            p.uniform_(0.5, 1.5)
    load_from_torch(m, t)
    for seed in range(3):  # several steps: running statistics accumulate
        twin_check(m, t, shape, train=True, copy=False, seed=seed)
    twin_check(m, t, shape, train=False, copy=False, seed=9)


def test_batchnorm2d_against_torch():
    m, t = nn.BatchNorm2d(2), torch.nn.BatchNorm2d(2)
    twin_check(m, t, (3, 2, 4, 4), train=True)
    twin_check(m, t, (3, 2, 4, 4), train=False, copy=False)


def test_batchnorm_buffers_keys_repr():
    m = nn.BatchNorm1d(4)
    assert list(m.state_dict()) == list(torch.nn.BatchNorm1d(4).state_dict())
    assert m.num_batches_tracked.dtype == nerve.int64 and m.running_var.dtype == nerve.float32
    assert repr(m) == repr(torch.nn.BatchNorm1d(4))
    assert repr(nn.BatchNorm1d(4, affine=False, momentum=None)) == repr(
        torch.nn.BatchNorm1d(4, affine=False, momentum=None)
    )
    no_stats = nn.BatchNorm1d(4, track_running_stats=False)
    assert list(no_stats.state_dict()) == ["weight", "bias"]
    assert no_stats.running_mean is None
    m(nerve.randn(5, 4))
    m(nerve.randn(5, 4))
    assert int(m.num_batches_tracked.item()) == 2
    m.eval()
    m(nerve.randn(5, 4))
    assert int(m.num_batches_tracked.item()) == 2


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.BatchNorm1d(3)(nerve.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match=r"BatchNorm1d\(3\).*3 channels.*\(2, 4\)"):
        nn.BatchNorm1d(3)(nerve.ones(2, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(nerve.ones(1, 3))
    nn.BatchNorm1d(3).eval()(nerve.ones(1, 3))  # one sample is fine in evaluation


def test_batchnorm_eval_is_affine_map_of_running_stats():
    m = nn.BatchNorm1d(2).eval()
    m.running_mean.copy_(nerve.tensor([1.0, -1.0]))
    m.running_var.copy_(nerve.tensor([4.0, 0.25]))
    y = m(nerve.tensor([[3.0, 0.0]])).detach().numpy()
    np.testing.assert_allclose(y, [[2 / np.sqrt(4 + 1e-5), 1 / np.sqrt(0.25 + 1e-5)]], rtol=1e-6)


@pytest.mark.parametrize("shape,norm", [((4, 5), 5), ((2, 3, 4), (3, 4)), ((2, 3, 4), [4])])
@pytest.mark.parametrize(
    "kw", [dict(), dict(elementwise_affine=False), dict(bias=False), dict(eps=1e-3)], ids=str
)
def test_layernorm_against_torch(shape, norm, kw):
    m, t = nn.LayerNorm(norm, **kw), torch.nn.LayerNorm(norm, **kw)
    if t.weight is not None:
        with torch.no_grad():
            t.weight.uniform_(0.5, 1.5)
            if t.bias is not None:
                t.bias.uniform_(-0.5, 0.5)
    twin_check(m, t, shape)
    assert repr(m) == repr(t)


def test_layernorm_shape_error():
    with pytest.raises(RuntimeError, match="normalized_shape"):
        nn.LayerNorm(4)(nerve.ones(2, 3))


def test_layernorm_stable_for_large_offset():
    x = nerve.tensor(1e4 + np.random.default_rng(0).standard_normal((3, 64)))
    y = nn.LayerNorm(64)(x).detach().numpy()
    np.testing.assert_allclose(y.mean(1), 0, atol=1e-3)
    np.testing.assert_allclose(y.std(1), 1, atol=1e-3)


def test_state_dict_without_num_batches_tracked_loads_like_torch():
    import torch

    ours, theirs = nerve.nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    state = {
        "weight": np.full(3, 2.0, np.float32),
        "bias": np.ones(3, np.float32),
        "running_mean": np.ones(3, np.float32),
        "running_var": np.full(3, 4.0, np.float32),
    }
    result = ours.load_state_dict(state)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(ours.running_var.numpy(), theirs.running_var.numpy())
    assert int(ours.num_batches_tracked.item()) == int(theirs.num_batches_tracked.item()) == 0
    seq = nerve.nn.Sequential(nerve.nn.BatchNorm1d(2))
    with pytest.raises(RuntimeError, match="Missing key"):  # other keys are still required
        seq.load_state_dict({"0.weight": np.ones(2, np.float32)})
