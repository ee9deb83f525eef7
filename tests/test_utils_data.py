"""nerve.utils.data against torch.utils.data: the namespace, WeightedRandomSampler,
ChainDataset, StackDataset and get_worker_info."""

import numpy as np
import pytest
import torch.utils.data as tud

import nerve
import nerve.utils.data as nud

NAMES = [
    "DataLoader",
    "Dataset",
    "TensorDataset",
    "random_split",
    "Subset",
    "ConcatDataset",
    "IterableDataset",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "BatchSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "WeightedRandomSampler",
    "ChainDataset",
    "StackDataset",
]


@pytest.mark.parametrize("name", NAMES)
def test_names_are_nerve_data_objects(name):
    assert hasattr(tud, name)
    assert getattr(nud, name) is getattr(nerve.data, name)


def test_attribute_access_from_the_top():
    assert nerve.utils.data is nud


def _frequencies(sampler, n, rounds):
    counts = np.zeros(n)
    for _ in range(rounds):
        np.add.at(counts, list(sampler), 1)
    return counts / counts.sum()


def test_weighted_with_replacement_matches_the_weights():
    w = [1.0, 0.0, 3.0, 6.0]
    s = nud.WeightedRandomSampler(w, 1000, generator=nerve.Generator().manual_seed(0))
    freq = _frequencies(s, 4, 20)
    np.testing.assert_allclose(freq, np.array(w) / 10, atol=0.01)
    assert freq[1] == 0


def test_weighted_without_replacement_first_draw_and_uniqueness():
    w = np.array([1.0, 2.0, 3.0, 4.0, 0.0])
    g = nerve.Generator().manual_seed(1)
    s = nud.WeightedRandomSampler(w, 3, replacement=False, generator=g)
    firsts, seconds = np.zeros(5), np.zeros(5)
    for _ in range(8000):
        draw = list(s)
        assert len(set(draw)) == 3 and 4 not in draw
        firsts[draw[0]] += 1
        seconds[draw[1]] += 1
    np.testing.assert_allclose(firsts / 8000, w / w.sum(), atol=0.015)
    # second draw, as torch's sequential sampling: P(j) = Σᵢ pᵢ pⱼ / (1 - pᵢ)
    p = w / w.sum()
    expect = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(5) if i != j) for j in range(5)])
    np.testing.assert_allclose(seconds / 8000, expect, atol=0.015)


def test_weighted_without_replacement_zero_weights_come_last():
    draw = list(nud.WeightedRandomSampler([1, 0, 0, 1], 4, replacement=False))
    assert sorted(draw[:2]) == [0, 3] and sorted(draw[2:]) == [1, 2]
    torch_draw = list(tud.WeightedRandomSampler([1, 0, 0, 1], 4, replacement=False))
    assert sorted(torch_draw[:2]) == [0, 3]


def test_weighted_attributes_and_len():
    s, t = nud.WeightedRandomSampler([1, 2], 3), tud.WeightedRandomSampler([1, 2], 3)
    assert len(s) == len(t) == 3
    assert s.num_samples == t.num_samples and s.replacement == t.replacement
    assert s.weights.dtype == nerve.float64 and s.weights.tolist() == t.weights.tolist()
    assert len(list(s)) == 3


def test_weighted_is_reproducible_with_a_generator():
    a = list(nud.WeightedRandomSampler([1, 2, 3], 20, generator=nerve.Generator().manual_seed(5)))
    b = list(nud.WeightedRandomSampler([1, 2, 3], 20, generator=nerve.Generator().manual_seed(5)))
    assert a == b


@pytest.mark.parametrize(
    "args, kwargs, at_iter",
    [
        (([1, 2], 0), {}, False),
        (([1, 2], 2.0), {}, False),
        (([1, 2], True), {}, False),
        (([1, 2], 2), {"replacement": 1}, False),
        (([[1, 0], [0, 1]], 2), {}, False),
        (([1, -2], 2), {}, True),
        (([0, 0], 2), {}, True),
        (([], 2), {}, True),
        (([1, 0, 0, 1], 5), {"replacement": False}, True),
    ],
)
def test_weighted_errors_match_torch(args, kwargs, at_iter):
    def run(mod):
        s = mod.WeightedRandomSampler(*args, **kwargs)
        return list(s) if at_iter else s

    with pytest.raises(Exception) as te:
        run(tud)
    with pytest.raises(type(te.value)) as ne:
        run(nud)
    assert str(ne.value).split(":")[0].split(" but")[0] in str(te.value)


def test_weighted_in_a_dataloader():
    ds = nud.TensorDataset(nerve.arange(4))
    s = nud.WeightedRandomSampler([0, 0, 1, 0], 6)
    batches = [b[0].tolist() for b in nud.DataLoader(ds, batch_size=4, sampler=s)]
    assert batches == [[2, 2, 2, 2], [2, 2]]


class _Count(nud.IterableDataset):
    def __init__(self, start, n):
        self.start, self.n = start, n

    def __iter__(self):
        return iter(range(self.start, self.start + self.n))

    def __len__(self):
        return self.n


class _TCount(tud.IterableDataset):
    def __init__(self, start, n):
        self.start, self.n = start, n

    def __iter__(self):
        return iter(range(self.start, self.start + self.n))

    def __len__(self):
        return self.n


def test_chain_dataset_matches_torch():
    n = nud.ChainDataset([_Count(0, 2), _Count(10, 3)])
    t = tud.ChainDataset([_TCount(0, 2), _TCount(10, 3)])
    assert list(n) == list(t) == [0, 1, 10, 11, 12]
    assert len(n) == len(t) == 5
    assert list(n) == list(n)  # iterable again


def test_iterable_plus_is_a_chain():
    both = _Count(0, 2) + _Count(5, 1)
    assert isinstance(both, nud.ChainDataset) and list(both) == [0, 1, 5]


def test_chain_dataset_in_a_dataloader():
    loader = nud.DataLoader(nud.ChainDataset([_Count(0, 3), _Count(3, 2)]), batch_size=2)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4]]


def test_chain_dataset_errors():
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(nud.ChainDataset([[1, 2]]))
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        len(nud.ChainDataset([_Count(0, 1), [1]]))


def test_stack_dataset_tuple_and_dict():
    a, b = [1, 2, 3], [4, 5, 6]
    for mod in (nud, tud):
        s = mod.StackDataset(a, b)
        assert len(s) == 3 and s[1] == (2, 5)
        assert s.__getitems__([0, 2]) == [(1, 4), (3, 6)]
        d = mod.StackDataset(x=a, y=b)
        assert d[2] == {"x": 3, "y": 6}
        assert d.__getitems__([1]) == [{"x": 2, "y": 5}]


def test_stack_dataset_in_a_dataloader():
    ds = nud.StackDataset(x=nud.TensorDataset(nerve.arange(4.0)), y=[0, 1, 0, 1])
    batch = next(iter(nud.DataLoader(ds, batch_size=3)))
    assert batch["x"][0].tolist() == [0.0, 1.0, 2.0] and batch["y"].tolist() == [0, 1, 0]


@pytest.mark.parametrize("args, kwargs", [(([1, 2], [3]), {}), (([1],), {"a": [1]}), ((), {})])
def test_stack_dataset_errors_match_torch(args, kwargs):
    with pytest.raises(ValueError) as te:
        tud.StackDataset(*args, **kwargs)
    with pytest.raises(ValueError) as ne:
        nud.StackDataset(*args, **kwargs)
    assert str(ne.value)[:20] == str(te.value)[:20]


def test_get_worker_info_is_none_and_workers_still_load():
    assert nud.get_worker_info() is None and tud.get_worker_info() is None
    ds = nud.TensorDataset(nerve.arange(5))
    loader = nud.DataLoader(ds, batch_size=2, num_workers=3)
    assert [b[0].tolist() for b in loader] == [[0, 1], [2, 3], [4]]


def test_torch_style_sampler_semantics_kept():
    data = list(range(7))
    assert list(nud.SequentialSampler(data)) == list(tud.SequentialSampler(data))
    n = list(nud.BatchSampler(nud.SequentialSampler(data), 3, drop_last=False))
    t = list(tud.BatchSampler(tud.SequentialSampler(data), 3, drop_last=False))
    assert n == t
    assert sorted(nud.RandomSampler(data)) == data
    assert len(nud.RandomSampler(data, replacement=True, num_samples=11)) == 11
    assert sorted(nud.SubsetRandomSampler([5, 1, 3])) == [1, 3, 5]
