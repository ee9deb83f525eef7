import numpy as np
import pytest
import torch.utils.data as tud

from nerve.data import DistributedSampler
from nerve.utils.data.distributed import DistributedSampler as TorchPath


@pytest.mark.parametrize("n", [0, 1, 7, 10, 12])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_shards_match_torch_unshuffled(n, replicas, drop_last):
    data = list(range(n))
    for rank in range(replicas):
        ours = DistributedSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = tud.DistributedSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        assert len(ours) == len(theirs) and ours.total_size == theirs.total_size
        assert list(ours) == list(theirs)


@pytest.mark.parametrize("n, replicas", [(10, 3), (12, 4), (5, 8)])
def test_shuffled_shards_are_disjoint_cover_and_equal_sized(n, replicas):
    shards = [list(DistributedSampler(range(n), replicas, r, seed=3)) for r in range(replicas)]
    sizes = {len(s) for s in shards}
    assert sizes == {len(tud.DistributedSampler(range(n), replicas, 0))}
    flat = [i for s in shards for i in s]
    assert set(flat) == set(range(n))  # every sample is read
    padding = len(flat) - n  # torch's padding repeats the epoch's first indices
    assert padding == replicas * sizes.pop() - n
    counts = np.bincount(flat, minlength=n)
    assert counts.sum() == n + padding and counts.max() <= 1 + -(-padding // n)


def test_drop_last_shards_are_disjoint():
    shards = [set(DistributedSampler(range(10), 3, r, drop_last=True)) for r in range(3)]
    assert sum(map(len, shards)) == 9 and len(set.union(*shards)) == 9


def test_set_epoch_reshuffles_the_same_way_on_every_rank():
    a = DistributedSampler(range(20), 2, 0, seed=1)
    b = DistributedSampler(range(20), 2, 1, seed=1)
    first = list(a) + list(b)
    a.set_epoch(1)
    b.set_epoch(1)
    second = list(a) + list(b)
    assert sorted(first) == sorted(second) == list(range(20)) and first != second
    assert list(a) == list(DistributedSampler(range(20), 2, 0, seed=2))  # seed + epoch


def test_bad_rank_and_torch_path():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval"):
        DistributedSampler(range(4), 2, 2)
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(4))
    assert TorchPath is DistributedSampler
