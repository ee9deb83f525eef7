"""The 8x8 handwritten digits: 1,797 images of 0..9, shipped inside nerve (46 KB).

The split is fixed (stored in the file): 1,437 training and 360 test images,
stratified by class, so results are comparable between runs and machines.
"""

from __future__ import annotations

import os

import numpy as np

from nerve.data.dataset import TensorDataset
from nerve.tensor import Tensor

_PATH = os.path.join(os.path.dirname(__file__), "digits.npz")
_SPLITS = ("train", "test", "all")
_cache: dict = {}


def _arrays(split: str) -> tuple[np.ndarray, np.ndarray]:
    if split not in _SPLITS:
        raise ValueError(f"digits: split must be one of {_SPLITS}, got {split!r}")
    if not _cache:
        with np.load(_PATH, allow_pickle=False) as f:
            _cache.update(images=f["images"], labels=f["labels"], test=f["test"])
    keep = {"train": ~_cache["test"], "test": _cache["test"], "all": slice(None)}[split]
    return _cache["images"][keep], _cache["labels"][keep]


def load_digits(
    split: str = "train", flatten: bool = True, normalize: bool = True
) -> tuple[Tensor, Tensor]:
    """The 8x8 digits as ``(X, y)``: X float32, y int64 class labels 0..9.

    split: ``'train'`` (1,437 images), ``'test'`` (360) or ``'all'`` (1,797).
    flatten: X of shape ``(N, 64)``; otherwise images ``(N, 1, 8, 8)`` for conv nets.
    normalize: pixel counts 0..16 scaled to [0, 1]; otherwise the raw counts.

    Data: "Optical Recognition of Handwritten Digits", E. Alpaydin and C. Kaynak,
    1998, UCI Machine Learning Repository, https://doi.org/10.24432/C50P49,
    licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); converted
    from scikit-learn's copy by tools/make_digits.py (see DIGITS_LICENSE.txt).
    """
    images, labels = _arrays(split)
    x = images.astype(np.float32)
    if normalize:
        x /= np.float32(16)
    x = x.reshape(len(x), 64) if flatten else x.reshape(len(x), 1, 8, 8)
    return Tensor._wrap(x), Tensor._wrap(labels.astype(np.int64))


class Digits(TensorDataset):
    """The 8x8 digits as a Dataset of ``(x, y)`` samples (see ``load_digits``).

    ``x`` is a float32 vector of 64 values in [0, 1], or a ``(1, 8, 8)`` image with
    ``image=True``; ``y`` an int64 label. ``transform`` and ``target_transform``
    are applied per sample, as in torchvision; without them a DataLoader fetches
    whole batches at once.
    """

    classes = [str(d) for d in range(10)]

    def __init__(
        self, split: str = "train", image: bool = False, transform=None, target_transform=None
    ) -> None:
        x, y = load_digits(split, flatten=not image)
        super().__init__(x, y)
        self.split, self.transform, self.target_transform = split, transform, target_transform

    @property
    def data(self) -> Tensor:
        return self.tensors[0]

    @property
    def targets(self) -> Tensor:
        return self.tensors[1]

    def __getitem__(self, index):
        x, y = self.tensors[0][index], self.tensors[1][index]
        if self.transform is not None:
            x = self.transform(x)
        if self.target_transform is not None:
            y = self.target_transform(y)
        return x, y

    def _fetch_batch(self, indices: np.ndarray) -> list | None:
        if self.transform is not None or self.target_transform is not None:
            return None
        return super()._fetch_batch(indices)

    def __repr__(self) -> str:
        return f"Digits(split={self.split!r}, samples={len(self)}, shape={tuple(self.data.shape)})"
