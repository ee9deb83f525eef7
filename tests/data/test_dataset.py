"""Dataset, TensorDataset, Subset, ConcatDataset and random_split against torch.utils.data."""

import contextlib
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import nerve
from nerve.data import ConcatDataset, Dataset, Subset, TensorDataset, random_split


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return i * i

    def __len__(self):
        return self.n


def _pair(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return x, y


def test_tensor_dataset_matches_torch():
    x, y = _pair()
    ds = TensorDataset(nerve.tensor(x), nerve.tensor(y))
    ref = tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    assert len(ds) == len(ref) == 10
    for i in (0, 3, -1):
        for a, b in zip(ds[i], ref[i]):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
            assert a.dtype == np.dtype(str(b.dtype).replace("torch.", ""))
    batch = ds[[1, 4]]
    assert tuple(batch[0].shape) == (2, 3)


def test_tensor_dataset_size_mismatch():
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(nerve.zeros(3, 2), nerve.zeros(4))
    with pytest.raises(AssertionError):  # PyTorch's exception type
        TensorDataset(nerve.zeros(3, 2), nerve.zeros(4))
    with pytest.raises(TypeError, match="TensorDataset"):
        TensorDataset([1, 2, 3])


def test_subset_and_concat():
    base = Squares(6)
    sub = Subset(base, [5, 0, 2])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [25, 0, 4]
    cat = ConcatDataset([base, Squares(3)])
    ref = tud.ConcatDataset([tud.Subset(list(range(36)), [i * i for i in range(6)]), [0, 1, 4]])
    assert len(cat) == len(ref) == 9
    assert [cat[i] for i in range(9)] == [ref[i] for i in range(9)]
    assert cat[-1] == ref[-1] == 4 and cat.cumulative_sizes == ref.cumulative_sizes
    assert len(base + Squares(2)) == 8
    with pytest.raises(IndexError):
        cat[9]
    with pytest.raises(ValueError, match="absolute value"):
        cat[-10]
    with pytest.raises(AssertionError, match="empty"):
        ConcatDataset([])


@pytest.mark.parametrize(
    "lengths", [[0.7, 0.3], [0.5, 0.3, 0.2], [0.33, 0.33, 0.34], [4, 3, 3], [1.0, 0.0]]
)
def test_random_split_lengths_match_torch(lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = [len(s) for s in tud.random_split(range(10), lengths)]
    expect = pytest.warns(UserWarning, match="random_split: length of split at index 1 is 0")
    with expect if 0.0 in lengths else contextlib.nullcontext():
        parts = random_split(Squares(10), lengths)
    assert [len(p) for p in parts] == ref
    seen = sorted(int(np.sqrt(p[i])) for p in parts for i in range(len(p)))
    assert seen == list(range(10))  # disjoint and covering


def test_random_split_reproducible_and_errors():
    g1, g2 = nerve.Generator().manual_seed(5), nerve.Generator().manual_seed(5)
    a = random_split(range(20), [15, 5], generator=g1)
    b = random_split(range(20), [15, 5], generator=g2)
    assert list(a[1].indices) == list(b[1].indices)
    nerve.manual_seed(1)
    c = random_split(range(20), [15, 5])
    nerve.manual_seed(1)
    d = random_split(range(20), [15, 5])
    assert list(c[0].indices) == list(d[0].indices)
    assert list(c[0].indices) != sorted(c[0].indices)  # really shuffled
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(20), [15, 4])
    with pytest.raises(ValueError, match="between 0 and 1"):
        random_split(range(20), [1.5, -0.5])
