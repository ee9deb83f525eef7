"""Chunks of samples on all cores: the split itself, and the ops that use it checked
against PyTorch with the split forced on small inputs."""

import threading

import numpy as np
import pytest
import torch.nn.functional as TF
from opcheck import Case, check_torch

import nerve
import nerve.nn.functional as F
from nerve.backend import allocator, parallel


@pytest.fixture
def split(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    monkeypatch.setitem(parallel._state, "threads", 2)


def test_over_batch_covers_every_sample_once_in_two_threads(split):
    seen, threads = [], set()

    def run(lo, hi):
        seen.extend(range(lo, hi))
        threads.add(threading.get_ident())

    parallel.over_batch(run, 7, 1)
    assert sorted(seen) == list(range(7)) and len(threads) == 2


def test_over_batch_runs_whole_when_small_or_nested(monkeypatch):
    monkeypatch.setitem(parallel._state, "threads", 2)
    calls = []
    parallel.over_batch(lambda lo, hi: calls.append((lo, hi)), 8, parallel.MIN_BYTES - 1)
    assert calls == [(0, 8)]
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    inner = []

    def outer(lo, hi):
        parallel.over_batch(lambda a, b: inner.append((a, b)), 4, 1 << 30)

    parallel.over_batch(outer, 2, 1 << 30)
    assert sorted(inner) == [(0, 4), (0, 4)]  # each half ran its inner pass whole


def test_num_threads_from_the_environment(monkeypatch):
    monkeypatch.setitem(parallel._state, "threads", None)
    monkeypatch.setenv("NERVE_NUM_THREADS", "1")
    assert parallel.num_threads() == 1


def _bn(training):
    rm, rv = np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.5, 2.0])

    def fn(x, w, b):
        stats = (
            nerve.tensor(rm.astype(x.dtype), device=x.device),
            nerve.tensor(rv.astype(x.dtype), device=x.device),
        )
        return F.batch_norm(x, *stats, w, b, training=training)

    def tfn(x, w, b):
        import torch

        return TF.batch_norm(
            x,
            torch.from_numpy(rm).to(x.dtype),
            torch.from_numpy(rv).to(x.dtype),
            w,
            b,
            training=training,
        )

    return fn, tfn


SPLIT_CASES = [
    Case(
        "conv_col2im",
        lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
        lambda x, w, b: TF.conv2d(x, w, b, stride=2, padding=1),
        [(5, 6, 7, 7), (4, 6, 3, 3), (4,)],
        atol=1e-4,
    ),
    Case(
        "conv_stride1",
        lambda x, w: F.conv2d(x, w, padding=1),
        lambda x, w: TF.conv2d(x, w, padding=1),
        [(3, 5, 6, 5), (5, 5, 3, 3)],
        atol=1e-4,
    ),
    Case(
        "max_pool_tiled",
        lambda x: F.max_pool2d(F.relu(x), 2),
        lambda x: TF.max_pool2d(TF.relu(x), 2),
        [(5, 3, 6, 8)],
    ),
    Case(
        "max_pool_overlap_pad",
        lambda x: F.max_pool2d(x, 3, 2, padding=1),
        lambda x: TF.max_pool2d(x, 3, 2, padding=1),
        [(3, 2, 7, 6)],
    ),
    Case(
        "batch_norm_train_channels_last",
        lambda x, w, b: _bn(True)[0](x.permute(0, 3, 1, 2), w, b),
        lambda x, w, b: _bn(True)[1](x.permute(0, 3, 1, 2), w, b),
        [(5, 4, 3, 3), (3,), (3,)],
    ),
    Case(
        "batch_norm_eval",
        lambda x, w, b: _bn(False)[0](x, w, b),
        lambda x, w, b: _bn(False)[1](x, w, b),
        [(5, 3, 2, 2), (3,), (3,)],
    ),
]


@pytest.mark.parametrize("case", SPLIT_CASES, ids=str)
def test_split_ops_against_torch(case, split):
    check_torch(case)


def test_split_max_pool_routes_ties_to_the_first_maximum(split):
    x = nerve.zeros(4, 2, 4, 4, requires_grad=True)  # every window all ties
    F.max_pool2d(x, 2).sum().backward()
    first = np.zeros((4, 4))
    first[::2, ::2] = 1
    np.testing.assert_array_equal(x.grad.numpy(), np.broadcast_to(first, (4, 2, 4, 4)))


def test_allocator_leaves_user_settings_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert allocator.tune() is False
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    monkeypatch.setenv("NERVE_MALLOC_TUNING", "0")
    assert allocator.tune() is False
