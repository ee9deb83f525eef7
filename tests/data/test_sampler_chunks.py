"""RandomSampler draws lazily: 10¹⁰ samples with replacement cost one chunk of memory
(PyTorch's draws in chunks too), and the chunked batches are the epoch's order."""

import itertools
import tracemalloc

import numpy as np

import nerve
from nerve.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset


def test_huge_num_samples_is_lazy():
    data = TensorDataset(nerve.arange(10))
    sampler = RandomSampler(data, replacement=True, num_samples=int(1e10))
    assert len(sampler) == int(1e10)
    tracemalloc.start()
    first = list(itertools.islice(iter(sampler), 1000))
    loader = DataLoader(data, batch_size=8, sampler=sampler)
    batches = list(itertools.islice(iter(loader), 3))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.1f} MiB"
    assert all(0 <= i < 10 for i in first) and len(set(first)) == 10
    assert [tuple(b[0].shape) for b in batches] == [(8,)] * 3


def test_chunked_batches_are_the_sampler_order():
    data = list(range(7))
    for replacement, k in ((True, 3 * RandomSampler.CHUNK + 5), (False, 23), (False, None)):
        sampler = RandomSampler(
            data, replacement=replacement, num_samples=k, generator=nerve.Generator().manual_seed(3)
        )
        order = list(sampler)
        sampler.generator.manual_seed(3)
        for drop_last in (False, True):
            sampler.generator.manual_seed(3)
            batches = list(BatchSampler(sampler, 5, drop_last))
            flat = list(itertools.chain.from_iterable(batches))
            stop = len(order) - len(order) % 5 if drop_last else len(order)
            assert flat == order[:stop]
            assert all(len(b) == 5 for b in batches[:-1])
        if not replacement:  # each pass over the data is a permutation
            assert sorted(order[:7]) == data
        assert len(order) == (k or 7)


def test_plain_sampler_is_read_in_chunks():
    class Odd(nerve.utils.data.Sampler):
        def __iter__(self):
            return iter(range(1, 20001, 2))

        def __len__(self):
            return 10000

    batches = list(BatchSampler(Odd(), 3, False))
    assert np.concatenate(batches).tolist() == list(range(1, 20001, 2))
    assert len(batches) == len(BatchSampler(Odd(), 3, False))
