"""The shipped 8x8 digits: size, dtypes, class balance, the fixed disjoint split."""

import os

import numpy as np
import pytest

import nerve
from nerve.data import DataLoader
from nerve.data.datasets import Digits, load_digits
from nerve.data.datasets import digits as digits_module


def test_file_is_small_and_licensed():
    folder = os.path.dirname(digits_module.__file__)
    assert os.path.getsize(os.path.join(folder, "digits.npz")) < 80_000
    text = open(os.path.join(folder, "DIGITS_LICENSE.txt")).read()
    assert "CC BY 4.0" in text and "Alpaydin" in text
    assert "CC BY 4.0" in load_digits.__doc__


@pytest.mark.parametrize("split,n", [("train", 1437), ("test", 360), ("all", 1797)])
def test_shapes_dtypes_ranges(split, n):
    x, y = load_digits(split)
    assert tuple(x.shape) == (n, 64) and x.dtype == np.float32
    assert tuple(y.shape) == (n,) and y.dtype == np.int64
    assert x.numpy().min() == 0.0 and x.numpy().max() == 1.0
    assert set(np.unique(y.numpy()).tolist()) == set(range(10))
    raw, _ = load_digits(split, flatten=False, normalize=False)
    assert tuple(raw.shape) == (n, 1, 8, 8) and raw.numpy().max() == 16.0
    np.testing.assert_array_equal(raw.numpy().reshape(n, 64) / 16, x.numpy())
    assert np.all(raw.numpy() == np.round(raw.numpy()))  # integer counts


def test_split_fixed_disjoint_and_stratified():
    xa, ya = load_digits("all", normalize=False)
    xtr, ytr = load_digits("train", normalize=False)
    xte, yte = load_digits("test", normalize=False)
    counts = np.bincount(ya.numpy(), minlength=10)
    assert counts.sum() == 1797 and counts.min() >= 170 and counts.max() <= 190
    test_counts = np.bincount(yte.numpy(), minlength=10)
    np.testing.assert_allclose(test_counts, counts * 360 / 1797, atol=1)
    # every image lands in exactly one split: the stored mask picks test, its complement train
    folder = os.path.dirname(digits_module.__file__)
    with np.load(os.path.join(folder, "digits.npz"), allow_pickle=False) as f:
        mask = f["test"]
    assert mask.dtype == np.bool_ and mask.sum() == 360
    np.testing.assert_array_equal(xte.numpy(), xa.numpy()[mask])
    np.testing.assert_array_equal(xtr.numpy(), xa.numpy()[~mask])
    np.testing.assert_array_equal(ytr.numpy(), ya.numpy()[~mask])
    again, _ = load_digits("test", normalize=False)
    np.testing.assert_array_equal(again.numpy(), xte.numpy())
    # the split is stored in the file, not drawn at load time, so seeding cannot move it
    nerve.manual_seed(123)
    np.testing.assert_array_equal(load_digits("test")[1].numpy(), yte.numpy())
    assert xte.numpy().reshape(360, -1).sum() == pytest.approx(
        xa.numpy().reshape(1797, -1).sum() - xtr.numpy().reshape(1437, -1).sum()
    )


def test_dataset_class_and_loader():
    ds = Digits("test", image=True)
    assert len(ds) == 360
    x, y = ds[5]
    assert tuple(x.shape) == (1, 8, 8) and x.dtype == np.float32 and y.dtype == np.int64
    batches = list(DataLoader(ds, batch_size=100))
    assert [len(b[1]) for b in batches] == [100, 100, 100, 60]
    np.testing.assert_array_equal(batches[0][0].numpy(), ds.data.numpy()[:100])
    flat = Digits("train", transform=lambda v: v * 2, target_transform=lambda t: t + 10)
    v, t = flat[0]
    assert tuple(v.shape) == (64,) and int(t) == int(flat.targets[0]) + 10
    b = next(iter(DataLoader(flat, batch_size=8)))
    np.testing.assert_allclose(b[0].numpy(), flat.data.numpy()[:8] * 2)
    with pytest.raises(ValueError, match="split"):
        load_digits("validation")
