"""The LSTM and GRU nodes with the batch cut into shards on threads
(nerve/ops/nn/recurrent_shards.py): the same outputs and gradients as the serial path,
as torch's kernels, and as finite differences (float64)."""

import numpy as np
import pytest
import torch
from test_recurrent import torch_layer

import nerve
from nerve.autograd import gradcheck
from nerve.backend import blas
from nerve.ops.nn import recurrent_shards
from nerve.ops.nn.recurrent_gru import gru_sequence
from nerve.ops.nn.recurrent_lstm import lstm_sequence

LENGTHS = np.array([5, 1, 3, 4, 2, 5, 1, 2, 3, 0, 4, 5, 5, 2, 1, 3, 4])
KINDS = {"lstm": (lstm_sequence, 4, 2), "gru": (gru_sequence, 3, 1)}
VARIANTS = [
    {},
    {"reverse": True},
    {"lengths": LENGTHS},
    {"reverse": True, "lengths": LENGTHS},
    {"batch_first": True},
    {"h0": False},
]


@pytest.fixture
def force(monkeypatch):
    """Small sizes shard too (normally they run serially), on a BLAS that looks free."""

    def set_(on: bool):
        monkeypatch.setattr(recurrent_shards, "ENABLED", True)
        monkeypatch.setattr(recurrent_shards, "MIN_ROWS", 1 if on else 10**9)
        monkeypatch.setattr(recurrent_shards, "MIN_BLOCK", 1)
        monkeypatch.setattr(recurrent_shards.parallel, "num_threads", lambda: 3)
        monkeypatch.setattr(blas, "get", lambda: 3)

    return set_


def _inputs(kind, nt=5, nb=17, ni=3, nh=4, batch_first=False, seed=1):
    _, g, ns = KINDS[kind]
    rng = np.random.default_rng(seed)
    shapes = [(nb, nt, ni) if batch_first else (nt, nb, ni)] + [(nb, nh)] * ns
    shapes += [(g * nh, ni), (g * nh, nh), (g * nh,), (g * nh,)]
    return [rng.standard_normal(s) for s in shapes]


def _run(kind, arrays, h0=True, **kw):
    fn, _, ns = KINDS[kind]
    ts = [nerve.tensor(a, requires_grad=True) for a in arrays]
    states = ts[1 : 1 + ns] if h0 else [None] * ns
    outs = fn(ts[0], *states, *ts[1 + ns :], **kw)
    shards = outs[0].grad_fn.shards  # read before backward frees the node
    rng = np.random.default_rng(7)
    loss = sum((o * nerve.tensor(rng.standard_normal(o.shape))).sum() for o in outs)
    loss.backward()
    used = [t for i, t in enumerate(ts) if h0 or not 1 <= i <= ns]
    return [o.detach().numpy() for o in outs] + [t.grad.numpy() for t in used], shards


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("kw", VARIANTS, ids=lambda kw: "-".join(kw) or "plain")
def test_shards_match_the_serial_path(force, kind, kw):
    arrays = _inputs(kind, batch_first=kw.get("batch_first", False))
    force(False)
    serial, shards = _run(kind, arrays, **kw)
    assert shards is None
    force(True)
    sharded, shards = _run(kind, arrays, **kw)
    assert shards == [(0, 5), (5, 11), (11, 17)]
    for a, b in zip(serial, sharded):
        assert a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_shards_match_torch(force, kind):
    force(True)
    arrays = _inputs(kind, nt=6, nb=9, nh=5)
    fn, _, ns = KINDS[kind]
    ours, _ = _run(kind, arrays, lengths=LENGTHS[:9])
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    outs = torch_layer(kind, ts[0], ts[1 : 1 + ns], ts[1 + ns :], False, LENGTHS[:9])
    rng = np.random.default_rng(7)
    sum((o * torch.from_numpy(rng.standard_normal(o.shape))).sum() for o in outs).backward()
    theirs = [o.detach().numpy() for o in outs] + [t.grad.numpy() for t in ts]
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_shards_gradcheck(force, kind):
    force(True)
    fn, _, ns = KINDS[kind]
    ts = [nerve.tensor(a, requires_grad=True) for a in _inputs(kind, nt=3, nb=4, nh=3)]

    def f(*t):
        return fn(t[0], *t[1 : 1 + ns], *t[1 + ns :], reverse=True, lengths=[3, 1, 2, 3])

    assert f(*ts)[0].grad_fn.shards == [(0, 1), (1, 2), (2, 4)]
    assert gradcheck(f, ts)


def test_serial_where_blas_has_one_thread(monkeypatch):
    """A core taken by another process (BLAS down to one thread): no second shard."""
    monkeypatch.setattr(recurrent_shards, "ENABLED", True)
    monkeypatch.setattr(recurrent_shards.parallel, "num_threads", lambda: 2)
    monkeypatch.setattr(blas, "available", lambda: True)
    x = np.zeros((4, 64, 8), np.float32)
    monkeypatch.setattr(blas, "get", lambda: 2)
    assert recurrent_shards.shards_for(object(), x, 64, 1024, None) == [(0, 32), (32, 64)]
    monkeypatch.setattr(blas, "get", lambda: 1)
    assert recurrent_shards.shards_for(object(), x, 64, 1024, None) is None
    monkeypatch.setattr(blas, "get", lambda: 2)
    assert recurrent_shards.shards_for(object(), x, 64, 1024, []) is None  # grad_norms
    assert recurrent_shards.shards_for(object(), x, 8, 1024, None) is None  # too few rows


def test_a_shard_error_is_raised_after_all_shards_end(force):
    force(True)
    x = nerve.randn(3, 6, 2)
    w = [nerve.randn(16, 5), nerve.randn(16, 4)]  # input size 2 against weight_ih's 5
    with pytest.raises(RuntimeError, match="input size 2 does not match weight_ih"):
        lstm_sequence(x, None, None, *w)


def test_off_by_default_without_the_switch(monkeypatch):
    monkeypatch.setattr(recurrent_shards, "ENABLED", False)
    x = np.zeros((4, 64, 8), np.float32)
    assert recurrent_shards.shards_for(object(), x, 64, 1024, None) is None
