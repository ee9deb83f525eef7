"""CIFAR-10 from its python-version batches, read without running pickled code.

The batches (``data_batch_1`` .. ``data_batch_5``, ``test_batch``, ``batches.meta``)
are pickles. Unpickling can call any importable function, so they go through a
restricted unpickler that resolves exactly three globals -- numpy's ndarray
reconstructor, the ndarray type and dtype -- and refuses everything else
(``UnsafePickleError``) before anything runs. Arrays of Python objects are
refused too.
"""

from __future__ import annotations

import io
import os
import pickle
import shutil
import tarfile
import tempfile

import numpy as np

from nerve.data.dataset import Dataset
from nerve.data.datasets.mnist import DataFileError, DatasetNotFoundError, download_file
from nerve.tensor import Tensor


class UnsafePickleError(DataFileError):
    """A pickle asks for something beyond plain containers and numeric arrays."""


class _Sealed:
    """A global handed to the unpickler: callable as ``fn`` (if any), never modifiable.

    Without ``__setstate__`` a pickle's BUILD opcode could set attributes on it.
    """

    def __init__(self, name: str, fn=None) -> None:
        self.name, self.fn = name, fn

    def __call__(self, *args):
        if self.fn is None:
            raise UnsafePickleError(f"calling {self.name} is refused")
        return self.fn(*args)

    def __setstate__(self, state) -> None:
        raise UnsafePickleError(f"modifying {self.name} is refused")


def _reconstruct(subtype, shape, dtype) -> np.ndarray:
    if subtype is not _NDARRAY:
        raise UnsafePickleError(
            f"array reconstruction of {subtype!r} refused: only numpy.ndarray is allowed"
        )
    return np.ndarray(shape, dtype=_dtype(dtype))


def _dtype(*args) -> np.dtype:
    dt = np.dtype(*args)
    if dt.hasobject:
        raise UnsafePickleError(f"dtype {dt} holds Python objects; refused")
    return dt


_NDARRAY = _Sealed("numpy.ndarray")
_RECONSTRUCT = _Sealed("numpy ndarray reconstructor", _reconstruct)
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,  # numpy < 2 wrote this name
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _Sealed("numpy.dtype", _dtype),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        allowed = _ALLOWED.get((module, name))
        if allowed is None:
            raise UnsafePickleError(
                f"refusing to load global {module}.{name}: only numpy "
                "arrays, dicts, lists, strings and numbers are allowed"
            )
        return allowed

    def persistent_load(self, pid):
        raise UnsafePickleError("refusing persistent ids in a data pickle")


def load_pickle(path: str):
    """The object in the pickle at ``path``, if it holds only plain data and arrays.

    Python 2 pickles (the original CIFAR files) are decoded as latin-1, which keeps
    their raw array bytes intact. Byte-string dict keys are decoded to ``str``.
    """
    try:
        with open(path, "rb") as f:
            # from memory, a size declared in the pickle can read no more than the file
            obj = _RestrictedUnpickler(io.BytesIO(f.read()), encoding="latin1").load()
    except UnsafePickleError as e:
        raise UnsafePickleError(f"{path}: {e}") from None
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        AttributeError,
        OverflowError,
        RecursionError,
        MemoryError,
        SystemError,
    ) as e:  # SystemError: NumPy's dtype constructor fed garbage
        raise DataFileError(
            f"{path}: corrupt or truncated pickle ({type(e).__name__}: {e})"
        ) from None
    return _plain(obj, path)


def _plain(obj, path: str):
    if isinstance(obj, dict):
        return {
            (k.decode("latin1") if isinstance(k, bytes) else k): _plain(v, path)
            for k, v in obj.items()
        }
    if isinstance(obj, list | tuple):
        return type(obj)(_plain(v, path) for v in obj)
    if isinstance(obj, np.ndarray) and obj.dtype.hasobject:
        raise UnsafePickleError(f"{path}: array of Python objects refused")
    return obj


class CIFAR10(Dataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images, 32x32, in 10 classes.

    ``root`` is the folder holding ``cifar-10-batches-py`` (or that folder itself).
    ``data`` is a uint8 array ``(N, 32, 32, 3)``, ``targets`` a list of ints,
    ``classes`` the names from ``batches.meta``. A sample is ``(image, label)``: the
    image a float32 Tensor ``(3, 32, 32)`` in [0, 1], or ``transform`` applied to
    the uint8 array ``(32, 32, 3)`` when given; the label an int.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"]
    test_list = ["test_batch"]
    meta = {"filename": "batches.meta", "key": "label_names"}
    labels_key = "labels"

    def __init__(
        self,
        root: str,
        train: bool = True,
        transform=None,
        target_transform=None,
        download: bool = False,
    ) -> None:
        self.root = os.path.expanduser(os.fspath(root))
        self.train, self.transform, self.target_transform = train, transform, target_transform
        if download:
            self.download()
        folder = self._folder()
        data, targets = [], []
        for name in self.train_list if train else self.test_list:
            rows, labels = self._read_batch(os.path.join(folder, name))
            data.append(rows)
            targets.extend(labels)
        # (N, 3072) rows hold the red, green, then blue planes: -> (N, 3, 32, 32) -> NHWC
        stacked = np.concatenate(data).reshape(-1, 3, 32, 32)
        self.data = np.ascontiguousarray(stacked.transpose(0, 2, 3, 1))
        self.targets = targets
        self._labels = (targets, np.asarray(targets, dtype=np.int64))  # for batch fetches
        self.classes = self._read_classes(os.path.join(folder, self.meta["filename"]))
        if targets and max(targets) >= len(self.classes):
            raise DataFileError(
                f"{folder}: label {max(targets)} out of range for the "
                f"{len(self.classes)} classes in {self.meta['filename']}"
            )

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def _needed(self) -> list[str]:
        return self.train_list + self.test_list + [self.meta["filename"]]

    def _folder(self) -> str:
        for folder in (os.path.join(self.root, self.base_folder), self.root):
            if all(os.path.isfile(os.path.join(folder, n)) for n in self._needed()):
                return folder
        where = "" if os.path.isdir(self.root) else " (no such folder)"
        raise DatasetNotFoundError(
            f"{type(self).__name__}: expected {', '.join(self._needed())} in "
            f"{os.path.join(self.root, self.base_folder)!r}{where}; pass download=True, or "
            f"unpack {self.filename} ({self.url}) into {self.root!r}"
        )

    def _read_batch(self, path: str) -> tuple[np.ndarray, list[int]]:
        entry = load_pickle(path)
        rows = entry.get("data") if isinstance(entry, dict) else None
        labels = entry.get(self.labels_key) if isinstance(entry, dict) else None
        if (
            not isinstance(rows, np.ndarray)
            or rows.dtype != np.uint8
            or rows.ndim != 2
            or rows.shape[1] != 3 * 32 * 32
        ):
            got = (
                f"{rows.dtype} array of shape {rows.shape}"
                if isinstance(rows, np.ndarray)
                else type(rows).__name__
            )
            raise DataFileError(
                f"{path}: expected a dict with 'data', a uint8 array of shape (N, 3072); got {got}"
            )
        try:
            labels = np.asarray(labels if labels is not None else [], dtype=np.int64)
        except (TypeError, ValueError):
            raise DataFileError(f"{path}: '{self.labels_key}' must be a list of ints") from None
        if labels.shape != (len(rows),) or (labels.size and labels.min() < 0):
            raise DataFileError(
                f"{path}: expected {len(rows)} non-negative "
                f"'{self.labels_key}', got {labels.shape[0]} values"
            )
        return rows, labels.tolist()

    def _read_classes(self, path: str) -> list[str]:
        entry = load_pickle(path)
        names = entry.get(self.meta["key"]) if isinstance(entry, dict) else None
        if not isinstance(names, list) or not all(isinstance(n, str | bytes) for n in names):
            raise DataFileError(
                f"{path}: expected a dict with '{self.meta['key']}', a list of class names"
            )
        return [n.decode("latin1") if isinstance(n, bytes) else n for n in names]

    def download(self) -> None:
        """Fetch and unpack the archive into ``root`` unless the batches are there."""
        try:
            self._folder()
            return
        except DatasetNotFoundError:
            pass
        hint = f"Without network, download {self.url} elsewhere and unpack it into {self.root!r}"
        archive = download_file(
            [self.url], self.root, self.filename, self.tgz_md5, type(self).__name__, hint
        )
        self._unpack(archive)

    def _unpack(self, archive: str) -> None:
        """Unpack into a scratch folder, then move the batches into place.

        A refused or broken archive thus leaves no half-unpacked batches behind.
        """
        scratch = tempfile.mkdtemp(dir=self.root, prefix=".unpack-")
        try:
            with tarfile.open(archive, "r:gz") as tar:
                # the "data" filter refuses absolute paths, links out of root and devices
                tar.extractall(scratch, filter="data")
            unpacked = os.path.join(scratch, self.base_folder)
            missing = [n for n in self._needed() if not os.path.isfile(os.path.join(unpacked, n))]
            if missing:
                raise DataFileError(
                    f"{archive}: the archive lacks {self.base_folder}/{', '.join(missing)}"
                )
            target = os.path.join(self.root, self.base_folder)
            os.makedirs(target, exist_ok=True)
            for name in os.listdir(unpacked):
                os.replace(os.path.join(unpacked, name), os.path.join(target, name))
        except (tarfile.TarError, OSError, EOFError) as e:
            raise DataFileError(f"{archive}: cannot unpack ({e})") from None
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        img, target = self.data[index], self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        else:
            img = img.transpose(2, 0, 1).astype(np.float32, order="C") / np.float32(255)
            img = Tensor._wrap(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _fetch_batch(self, indices: np.ndarray) -> list | None:
        if self.transform is not None or self.target_transform is not None:
            return None
        # (B, 32, 32, 3) -> (B, 3, 32, 32)
        x = self.data[indices].transpose(0, 3, 1, 2).astype(np.float32, order="C")
        x /= np.float32(255)
        if self._labels[0] is not self.targets:  # someone replaced targets: refresh
            self._labels = (self.targets, np.asarray(self.targets, dtype=np.int64))
        return [Tensor._wrap(x), Tensor._wrap(self._labels[1][indices])]

    def __repr__(self) -> str:
        return (
            f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
            f"    Root location: {self.root}\n    Split: {'Train' if self.train else 'Test'}"
        )
