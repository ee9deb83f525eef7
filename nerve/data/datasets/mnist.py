"""MNIST and Fashion-MNIST from IDX files in a folder, as torchvision's datasets.

The four standard files (``train-images-idx3-ubyte`` ...) are read from ``root``
itself or from ``root/MNIST/raw`` (torchvision's layout), gzipped or not. With
``download=True`` missing files are fetched into ``root/<Name>/raw`` from the
public mirrors and their md5 checksums verified. IDX headers are parsed strictly:
a truncated or corrupt file raises ``DataFileError`` naming the file.

This module also holds the download helpers the CIFAR reader uses.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import os
import shutil
import urllib.request
import zlib

import numpy as np

from nerve.data.dataset import Dataset
from nerve.tensor import Tensor


class DatasetNotFoundError(FileNotFoundError, RuntimeError):
    """The data folder or its files are missing (torchvision raises RuntimeError)."""


class DataFileError(RuntimeError, ValueError):
    """A data file is truncated, corrupt, or fails its checksum."""


class DownloadError(RuntimeError):
    """No mirror could deliver a file (no network, or every mirror failed)."""


# IDX type code -> big-endian element type, as in LeCun's format description
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str) -> np.ndarray:
    """The array stored in an IDX file (gzipped or not), in native byte order.

    The header is ``0x00 0x00 <type code> <ndim>`` followed by ``ndim`` big-endian
    uint32 sizes; the data must fill exactly ``prod(sizes) * itemsize`` bytes.
    """
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DataFileError(
            f"{path}: truncated IDX file: {len(raw)} bytes, the header alone needs 4"
        )
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES or raw[3] == 0:
        raise DataFileError(
            f"{path}: not an IDX file: magic number 0x{raw[:4].hex()} "
            "(expected 0x0000 then a type code 08/09/0b/0c/0d/0e and ndim >= 1)"
        )
    ndim, dtype = raw[3], np.dtype(_IDX_TYPES[raw[2]])
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise DataFileError(
            f"{path}: truncated IDX header: {ndim} dimensions need {start} "
            f"bytes, the file has {len(raw)}"
        )
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    need, got = math.prod(dims) * dtype.itemsize, len(raw) - start
    if got != need:
        what = "truncated" if got < need else "corrupt (trailing bytes)"
        raise DataFileError(
            f"{path}: {what} IDX file: header says shape {dims} of "
            f"{dtype.name}, {need} bytes of data, the file has {got}"
        )
    arr = np.frombuffer(raw, dtype=dtype, offset=start).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":  # the gzip magic, whatever the file is called
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataFileError(f"{path}: corrupt or truncated gzip file ({e})") from None


def md5sum(path: str) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(url: str, path: str) -> None:
    """Write the body at ``url`` to ``path`` (tests replace this function)."""
    request = urllib.request.Request(url, headers={"User-Agent": "nerve"})
    with urllib.request.urlopen(request, timeout=30) as response, open(path, "wb") as out:
        shutil.copyfileobj(response, out)


def download_file(
    urls: list[str], folder: str, filename: str, md5: str, who: str, hint: str
) -> str:
    """Fetch ``filename`` into ``folder`` from the first mirror that delivers it intact.

        A file already there with the right md5 is kept. A download is written to a
        ``.part`` file and renamed only once its md5 matches, so a broken transfer never
        looks like data. Errors start with ``who`` (the dataset) and end with ``hint``
    (where to put the files by hand).
    """
    path = os.path.join(folder, filename)
    if os.path.isfile(path) and md5sum(path) == md5:
        return path
    os.makedirs(folder, exist_ok=True)
    tmp, failures, bad_sum = path + ".part", [], None
    for url in urls:
        try:
            _fetch(url, tmp)
        # URLError, HTTPError and timeouts are OSErrors; a cut transfer is an HTTPException
        except (OSError, http.client.HTTPException) as e:
            failures.append(f"{url}: {getattr(e, 'reason', e)}")
            _remove(tmp)
            continue
        got = md5sum(tmp)
        if got == md5:
            os.replace(tmp, path)
            return path
        _remove(tmp)
        bad_sum = f"md5 {got} of {url} does not match the expected {md5}"
    if bad_sum is not None:
        raise DataFileError(
            f"{who}: checksum mismatch downloading {filename}: {bad_sum}; "
            f"the file was discarded. {hint}"
        )
    raise DownloadError(f"{who}: could not download {filename} ({'; '.join(failures)}). {hint}")


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28.

    ``data`` is a uint8 Tensor ``(N, 28, 28)``, ``targets`` an int64 Tensor ``(N,)``.
    A sample is ``(image, label)``: the image a float32 Tensor ``(1, 28, 28)`` in
    [0, 1], or ``transform`` applied to the uint8 array ``(28, 28)`` when given
    (``transforms.ToTensor()`` gives the default); the label an int, or
    ``target_transform(label)``.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

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
        prefix = "train" if train else "t10k"
        images_path, labels_path = self._find(
            f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
        )
        images, labels = read_idx(images_path), read_idx(labels_path)
        _check_pair(images, images_path, labels, labels_path, len(self.classes))
        self.data = Tensor._wrap(images)
        self.targets = Tensor._wrap(labels.astype(np.int64))

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def _find(self, *names: str) -> list[str]:
        for folder in (self.root, self.raw_folder):
            found = [_existing(os.path.join(folder, n)) for n in names]
            if all(found):
                return found
        raise DatasetNotFoundError(
            f"{type(self).__name__}: no {' and '.join(n + '[.gz]' for n in names)} in "
            f"{self.root!r}{'' if os.path.isdir(self.root) else ' (no such folder)'} nor in "
            f"{self.raw_folder!r}; pass download=True, or put the files there by hand"
        )

    def download(self) -> None:
        """Fetch the four gzipped IDX files into ``raw_folder`` unless already present."""
        names = [n[:-3] for n, _ in self.resources]
        if any(
            all(_existing(os.path.join(d, n)) for n in names) for d in (self.root, self.raw_folder)
        ):
            return
        hint = (
            f"Without network, put {', '.join(n for n, _ in self.resources)} (gzipped "
            f"or not) into {self.raw_folder!r} or {self.root!r}"
        )
        for filename, md5 in self.resources:
            download_file(
                [m + filename for m in self.mirrors],
                self.raw_folder,
                filename,
                md5,
                type(self).__name__,
                hint,
            )

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int):
        img, target = self.data._data[index], int(self.targets._data[index])
        if self.transform is not None:
            img = self.transform(img)
        else:
            img = Tensor._wrap(img[None].astype(np.float32) / np.float32(255))
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _fetch_batch(self, indices: np.ndarray) -> list | None:
        if self.transform is not None or self.target_transform is not None:
            return None
        x = self.data._data[indices][:, None].astype(np.float32) / np.float32(255)
        return [Tensor._wrap(x), Tensor._wrap(self.targets._data[indices])]  # (B, 1, 28, 28)

    def __repr__(self) -> str:
        return (
            f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
            f"    Root location: {self.root}\n    Split: {'Train' if self.train else 'Test'}"
        )


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 10 classes of clothing in MNIST's format and sizes."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]


def _remove(path: str) -> None:
    if os.path.isfile(path):
        os.remove(path)


def _existing(path: str) -> str | None:
    for candidate in (path, path + ".gz"):
        if os.path.isfile(candidate):
            return candidate
    return None


def _check_pair(
    images: np.ndarray, images_path: str, labels: np.ndarray, labels_path: str, num_classes: int
) -> None:
    if images.dtype != np.uint8 or images.ndim != 3:
        raise DataFileError(
            f"{images_path}: expected uint8 images of shape (N, rows, cols), "
            f"got {images.dtype.name} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataFileError(
            f"{labels_path}: expected uint8 labels of shape (N,), got "
            f"{labels.dtype.name} of shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise DataFileError(
            f"{images_path} holds {len(images)} images but {labels_path} {len(labels)} labels"
        )
    if labels.size and labels.max() >= num_classes:
        raise DataFileError(
            f"{labels_path}: label {int(labels.max())} out of range for {num_classes} classes"
        )
