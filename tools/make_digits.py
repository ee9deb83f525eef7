"""Convert the 8x8 handwritten digits to nerve/data/datasets/digits.npz (run once).

Provenance: the data are the test part of the UCI "Optical Recognition of
Handwritten Digits" set (E. Alpaydin, C. Kaynak, 1998, CC BY 4.0,
https://doi.org/10.24432/C50P49), 1,797 images of 8x8 pixels with counts 0..16,
as shipped inside scikit-learn (``sklearn.datasets.load_digits``, no download).
scikit-learn is needed only to run this script; nerve does not depend on it.

The train/test split is drawn here, once, and stored in the file, so it never
depends on the random-number stream of whichever NumPy version loads it:
stratified by class, 360 test images (20 %), seed 20260101.

    pip install scikit-learn && python tools/make_digits.py
"""

from __future__ import annotations

import os

import numpy as np
from sklearn.datasets import load_digits

N_TEST = 360
SEED = 20260101
OUT = os.path.join(os.path.dirname(__file__), "..", "nerve", "data", "datasets", "digits.npz")


def stratified_test_mask(labels: np.ndarray, n_test: int, seed: int) -> np.ndarray:
    """True for the test images: each class gives its share of ``n_test`` (largest remainder)."""
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * n_test / labels.size
    take = np.floor(quota).astype(int)
    extra = np.argsort(-(quota - take), kind="stable")[: n_test - take.sum()]
    take[extra] += 1
    mask = np.zeros(labels.size, dtype=bool)
    for c, k in zip(classes, take):
        members = np.flatnonzero(labels == c)
        mask[rng.permutation(members)[:k]] = True
    return mask


def main() -> None:
    bunch = load_digits()
    images = bunch.images.astype(np.uint8)  # (1797, 8, 8), counts 0..16
    labels = bunch.target.astype(np.uint8)
    assert images.shape == (1797, 8, 8) and images.max() == 16
    assert np.array_equal(images.astype(np.float64), bunch.images)
    test = stratified_test_mask(labels, N_TEST, SEED)
    np.savez_compressed(OUT, images=images, labels=labels, test=test)
    print(
        f"wrote {os.path.normpath(OUT)}: {os.path.getsize(OUT):,} bytes, "
        f"{int(test.sum())} test / {int((~test).sum())} train"
    )


if __name__ == "__main__":
    main()
