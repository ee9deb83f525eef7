"""DataLoader: batching, shuffling, drop_last, samplers, default_collate against PyTorch."""

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import nerve
from nerve.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
)


class Samples(Dataset):
    """Samples built in Python, so the loader takes the per-sample (slow) path."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __getitem__(self, i):
        return nerve.from_numpy(self.x[i]), nerve.from_numpy(self.y[i])

    def __len__(self):
        return len(self.x)


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def _data(n=23):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 4)).astype(np.float32), rng.integers(0, 5, n)


def _tensor_ds(x, y):
    return TensorDataset(nerve.from_numpy(x), nerve.from_numpy(y))


def _epoch(loader):
    return [[t.numpy().copy() for t in batch] for batch in loader]


@pytest.mark.parametrize(
    "batch_size,drop_last", [(1, False), (5, False), (5, True), (23, True), (30, False), (30, True)]
)
def test_batches_and_len_match_torch(batch_size, drop_last):
    x, y = _data()
    ours = DataLoader(_tensor_ds(x, y), batch_size=batch_size, drop_last=drop_last)
    ref = tud.DataLoader(
        tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=batch_size,
        drop_last=drop_last,
    )
    assert len(ours) == len(ref)
    got, want = list(ours), list(ref)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert isinstance(a, list) and isinstance(b, list)
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u.numpy(), v.numpy())
            assert u.dtype == np.dtype(str(v.dtype).replace("torch.", ""))


def test_fast_path_equals_slow_path(monkeypatch):
    def no_per_sample(self, i):
        raise AssertionError("the fast path fetched a single sample")

    monkeypatch.setattr(TensorDataset, "__getitem__", no_per_sample)
    x, y = _data()
    for ds_fast, ds_slow in [
        (_tensor_ds(x, y), Samples(x, y)),
        (
            Subset(_tensor_ds(x, y), [3, 1, 4, 15, 9, 2, 6]),
            Subset(Samples(x, y), [3, 1, 4, 15, 9, 2, 6]),
        ),
    ]:
        g1, g2 = nerve.Generator().manual_seed(7), nerve.Generator().manual_seed(7)
        fast = DataLoader(ds_fast, batch_size=4, shuffle=True, generator=g1)
        slow = DataLoader(ds_slow, batch_size=4, shuffle=True, generator=g2)
        a, b = _epoch(fast), _epoch(slow)
        assert len(a) == len(b)
        for u, v in zip(a, b):
            for p, q in zip(u, v):
                np.testing.assert_array_equal(p, q)
                assert p.dtype == q.dtype


def test_shuffle_reproducible_and_new_order_each_epoch():
    x, y = _data(50)
    ds = _tensor_ds(x, y)
    nerve.manual_seed(3)
    loader = DataLoader(ds, batch_size=50, shuffle=True)
    first, second = _epoch(loader)[0][1], _epoch(loader)[0][1]
    nerve.manual_seed(3)
    again = _epoch(loader)[0][1]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)
    assert sorted(first.tolist()) == sorted(y.tolist())  # a permutation: nothing lost
    g = nerve.Generator().manual_seed(11)
    h = nerve.Generator().manual_seed(11)
    a = _epoch(DataLoader(ds, batch_size=7, shuffle=True, generator=g))
    b = _epoch(DataLoader(ds, batch_size=7, shuffle=True, generator=h))
    np.testing.assert_array_equal(
        np.concatenate([t[0] for t in a]), np.concatenate([t[0] for t in b])
    )


def test_drop_last_sizes():
    x, y = _data(23)
    sizes = [
        len(b[0]) for b in DataLoader(_tensor_ds(x, y), batch_size=5, shuffle=True, drop_last=True)
    ]
    assert sizes == [5, 5, 5, 5]
    sizes = [len(b[0]) for b in DataLoader(_tensor_ds(x, y), batch_size=5)]
    assert sizes == [5, 5, 5, 5, 3]


def _collate_pair(sample_list):
    ours = default_collate(sample_list)
    ref = tud.default_collate(sample_list_torch(sample_list))
    return ours, ref


def sample_list_torch(samples):
    def conv(v):
        if isinstance(v, nerve.Tensor):
            return torch.from_numpy(v.numpy())
        if isinstance(v, dict):
            return {k: conv(w) for k, w in v.items()}
        if isinstance(v, tuple) and hasattr(v, "_fields"):
            return type(v)(*(conv(w) for w in v))
        if isinstance(v, tuple | list):
            return type(v)(conv(w) for w in v)
        return v

    return [conv(s) for s in samples]


def _assert_same(a, b):
    if isinstance(b, torch.Tensor):
        assert isinstance(a, nerve.Tensor)
        assert a.dtype == np.dtype(str(b.dtype).replace("torch.", "")), (a.dtype, b.dtype)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(b, dict):
        assert type(a) is type(b) and list(a) == list(b)
        for k in b:
            _assert_same(a[k], b[k])
    elif isinstance(b, list | tuple):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            _assert_same(u, v)
    else:
        assert a == b


Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize(
    "samples",
    [
        [1, 2, 3],
        [1.5, 2.0],
        [True, False],
        ["a", "b"],
        [np.float32(1.0), np.float32(2.0)],
        [np.arange(3, dtype=np.int32), np.arange(3, dtype=np.int32)],
        [(nerve.ones(2), 1), (nerve.zeros(2), 0)],
        [[nerve.ones(2), 1.0], [nerve.zeros(2), 0.5]],
        [
            {"img": nerve.ones(2, 2), "label": 3, "meta": {"id": 1.5, "name": "a"}},
            {"img": nerve.zeros(2, 2), "label": 4, "meta": {"id": 2.5, "name": "b"}},
        ],
        [Point(1, 2.0), Point(3, 4.0)],
    ],
)
def test_default_collate_matches_torch(samples):
    ours, ref = _collate_pair(samples)
    _assert_same(ours, ref)


def test_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(RuntimeError, match="shapes"):
        default_collate([nerve.ones(2), nerve.ones(3)])
    with pytest.raises(TypeError, match="default_collate.*object"):
        default_collate([object(), object()])


def test_collate_keeps_gradient():
    a = nerve.ones(2, requires_grad=True)
    out = default_collate([a, a * 2])
    out.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 3.0])


def test_dict_dataset_loader():
    class Dicts(Dataset):
        def __getitem__(self, i):
            return {"x": np.full(3, i, dtype=np.float32), "y": i}

        def __len__(self):
            return 5

    batches = list(DataLoader(Dicts(), batch_size=2))
    assert [tuple(b["x"].shape) for b in batches] == [(2, 3), (2, 3), (1, 3)]
    assert batches[2]["y"].dtype == np.int64 and batches[1]["y"].tolist() == [2, 3]


def test_samplers_options_and_errors():
    x, y = _data(10)
    ds = _tensor_ds(x, y)
    order = [9, 0, 3]
    loader = DataLoader(ds, batch_size=2, sampler=order)
    assert [b[1].tolist() for b in loader] == [[y[9], y[0]], [y[3]]]
    assert list(BatchSampler(SequentialSampler(range(5)), 2, False)) == [[0, 1], [2, 3], [4]]
    bs = BatchSampler(RandomSampler(range(7)), 3, True)
    assert len(bs) == 2 and all(len(b) == 3 for b in bs)
    assert len(DataLoader(ds, batch_sampler=[[0, 1, 2], [5]])) == 2
    drawn = list(RandomSampler(range(4), replacement=True, num_samples=9))
    assert len(drawn) == 9 and set(drawn) <= {0, 1, 2, 3}
    one = list(DataLoader(ds, batch_size=None))
    assert len(one) == 10 and tuple(one[0][0].shape) == (4,)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=order, shuffle=True)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="batch_sampler"):
        DataLoader(ds, batch_size=3, batch_sampler=[[0]])


def test_iterable_dataset():
    loader = DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(loader) == 3
    assert len(list(DataLoader(Stream(7), batch_size=3, drop_last=True))) == 2
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(Stream(7), shuffle=True)


def test_fast_path_reads_whole_batches(monkeypatch):
    """A TensorDataset batch is one fancy-indexing read per tensor, never a Python loop
    over samples (no __getitem__ per sample), and gives what the per-sample path gives."""
    x = np.arange(2000 * 3, dtype=np.float32).reshape(2000, 3)
    y = np.arange(2000, dtype=np.int64)
    ds = _tensor_ds(x, y)
    nerve.manual_seed(5)
    slow = [
        tuple(t.numpy() for t in b) for b in DataLoader(Samples(x, y), batch_size=64, shuffle=True)
    ]

    def per_sample(self, i):
        raise AssertionError("the fast path read one sample at a time")

    monkeypatch.setattr(type(ds), "__getitem__", per_sample)
    nerve.manual_seed(5)
    fast = [tuple(t.numpy() for t in b) for b in DataLoader(ds, batch_size=64, shuffle=True)]
    assert len(fast) == len(slow) == 32
    for (fx, fy), (sx, sy) in zip(fast, slow):
        np.testing.assert_array_equal(fx, sx)
        np.testing.assert_array_equal(fy, sy)
