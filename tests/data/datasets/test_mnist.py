"""MNIST / Fashion-MNIST from small IDX files written here; strict headers; downloads."""

import gzip
import hashlib
import os
import struct
import urllib.error

import numpy as np
import pytest

from nerve.data import DataLoader, transforms
from nerve.data.datasets import (
    MNIST,
    DataFileError,
    DatasetNotFoundError,
    DownloadError,
    FashionMNIST,
    read_idx,
)
from nerve.data.datasets import mnist as mnist_module

_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(">i2"): 0x0B,
    np.dtype(">i4"): 0x0C,
    np.dtype(">f4"): 0x0D,
    np.dtype(">f8"): 0x0E,
}


def idx_bytes(arr: np.ndarray) -> bytes:
    """LeCun's IDX layout: 0, 0, type code, ndim, big-endian uint32 sizes, big-endian data."""
    big = arr.astype(arr.dtype.newbyteorder(">")) if arr.dtype.itemsize > 1 else arr
    header = bytes([0, 0, _CODES[big.dtype], arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + big.tobytes()


def write_idx(path, arr, gz=False):
    data = idx_bytes(arr)
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if gz else data)
    return path


def make_split(folder, prefix, n, gz, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    ext = ".gz" if gz else ""
    write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte{ext}"), images, gz)
    write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte{ext}"), labels, gz)
    return images, labels


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, dtype, gz):
    arr = (np.arange(2 * 3 * 5) - 7).astype(dtype).reshape(2, 3, 5)
    if dtype == np.uint8:
        arr = np.arange(30, dtype=np.uint8).reshape(2, 3, 5)
    out = read_idx(write_idx(tmp_path / "a.idx", arr, gz))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative and out.shape == (2, 3, 5)
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize(
    "mangle,match",
    [
        (lambda b: b[:3], "truncated IDX file: 3 bytes"),
        (lambda b: b"\x01" + b[1:], "not an IDX file: magic number 0x01"),
        (lambda b: b[:2] + b"\x07" + b[3:], "not an IDX file"),
        (lambda b: b[:3] + b"\x00" + b[4:], "not an IDX file"),
        (lambda b: b[:9], "truncated IDX header: 3 dimensions need 16 bytes"),
        (lambda b: b[:-1], r"truncated IDX file: header says shape \(2, 3, 5\)"),
        (lambda b: b + b"\x00", "trailing bytes"),
    ],
)
def test_read_idx_rejects_bad_files(tmp_path, mangle, match):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(mangle(idx_bytes(np.zeros((2, 3, 5), np.uint8))))
    with pytest.raises(DataFileError, match=match) as info:
        read_idx(str(path))
    assert str(path) in str(info.value) and isinstance(info.value, RuntimeError | ValueError)


def test_read_idx_truncated_gzip(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((4, 28, 28), np.uint8)))[:-12])
    with pytest.raises(DataFileError, match="corrupt or truncated gzip") as info:
        read_idx(str(path))
    assert "train-images-idx3-ubyte.gz" in str(info.value)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_folder(tmp_path, gz):
    train_x, train_y = make_split(tmp_path, "train", 7, gz, seed=1)
    test_x, test_y = make_split(tmp_path, "t10k", 3, gz, seed=2)
    ds = MNIST(tmp_path)
    assert len(ds) == 7 and ds.data.dtype == np.uint8 and tuple(ds.data.shape) == (7, 28, 28)
    assert ds.targets.dtype == np.int64
    np.testing.assert_array_equal(ds.data.numpy(), train_x)
    np.testing.assert_array_equal(ds.targets.numpy(), train_y)
    img, label = ds[4]
    assert type(label) is int and label == int(train_y[4])
    assert tuple(img.shape) == (1, 28, 28) and img.dtype == np.float32
    np.testing.assert_allclose(img.numpy()[0], train_x[4] / 255.0, rtol=1e-6)
    test = MNIST(str(tmp_path), train=False)
    np.testing.assert_array_equal(test.data.numpy(), test_x)
    assert "Split: Test" in repr(test) and "Number of datapoints: 3" in repr(test)


def test_transforms_and_batches_match_samples(tmp_path):
    make_split(tmp_path, "train", 10, False, seed=3)
    plain = MNIST(tmp_path)
    x, y = next(iter(DataLoader(plain, batch_size=6)))
    assert tuple(x.shape) == (6, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    for i in range(6):
        np.testing.assert_array_equal(x.numpy()[i], plain[i][0].numpy())
        assert int(y.numpy()[i]) == plain[i][1]
    seen = []
    tf = MNIST(
        tmp_path,
        transform=lambda a: (seen.append(a.dtype), transforms.ToTensor()(a))[1],
        target_transform=lambda t: t + 100,
    )
    img, label = tf[2]
    assert seen == [np.uint8] and label == plain[2][1] + 100
    np.testing.assert_array_equal(img.numpy(), plain[2][0].numpy())
    xb, yb = next(iter(DataLoader(tf, batch_size=4)))
    np.testing.assert_array_equal(xb.numpy(), x.numpy()[:4])
    np.testing.assert_array_equal(yb.numpy(), y.numpy()[:4] + 100)


def test_torchvision_layout_and_fashion_classes(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    _, labels = make_split(raw, "t10k", 5, True, seed=4)
    ds = FashionMNIST(tmp_path, train=False)
    assert ds.classes[9] == "Ankle boot" and ds.class_to_idx["Trouser"] == 1
    np.testing.assert_array_equal(ds.targets.numpy(), labels)
    assert MNIST.classes[3] == "3 - three"
    with pytest.raises(DatasetNotFoundError):  # MNIST looks in MNIST/raw, not FashionMNIST/raw
        MNIST(tmp_path, train=False)


def test_missing_folder_names_folder_and_files(tmp_path):
    where = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as info:
        MNIST(where)
    msg = str(info.value)
    assert isinstance(info.value, RuntimeError) and "\n" not in msg
    assert str(where) in msg and "no such folder" in msg
    assert "train-images-idx3-ubyte" in msg and "train-labels-idx1-ubyte" in msg
    make_split(tmp_path, "train", 2, False, seed=5)
    os.remove(tmp_path / "train-labels-idx1-ubyte")
    with pytest.raises(DatasetNotFoundError, match="train-labels-idx1-ubyte"):
        MNIST(tmp_path)


@pytest.mark.parametrize("kind", ["count", "labels_range", "image_dims"])
def test_inconsistent_files(tmp_path, kind):
    make_split(tmp_path, "train", 4, False, seed=6)
    labels = tmp_path / "train-labels-idx1-ubyte"
    images = tmp_path / "train-images-idx3-ubyte"
    if kind == "count":
        write_idx(labels, np.zeros(3, np.uint8))
    elif kind == "labels_range":
        write_idx(labels, np.array([0, 1, 10, 2], np.uint8))
    else:
        write_idx(images, np.zeros((4, 784), np.uint8))
    match = {
        "count": "4 images but",
        "labels_range": "label 10 out of range",
        "image_dims": "expected uint8 images of shape",
    }[kind]
    with pytest.raises(DataFileError, match=match):
        MNIST(tmp_path)


def _serve(tmp_path, monkeypatch, corrupt=()):
    """Fake mirrors: _fetch writes the files from memory; resources carry their md5s."""
    payload = {}
    for prefix, n in (("train", 6), ("t10k", 2)):
        rng = np.random.default_rng(n)
        payload[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(
            idx_bytes(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        )
        payload[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(
            idx_bytes(rng.integers(0, 10, n).astype(np.uint8))
        )
    resources = [(name, hashlib.md5(body).hexdigest()) for name, body in payload.items()]
    calls = []

    def fetch(url, path):
        calls.append(url)
        name = url.rsplit("/", 1)[1]
        body = payload[name]
        with open(path, "wb") as f:
            f.write(body[:-5] if name in corrupt else body)

    monkeypatch.setattr(mnist_module, "_fetch", fetch)
    monkeypatch.setattr(MNIST, "resources", resources)
    monkeypatch.setattr(MNIST, "mirrors", ["https://mirror.invalid/a/", "https://b.invalid/"])
    return payload, calls


def test_download_writes_verified_files(tmp_path, monkeypatch):
    payload, calls = _serve(tmp_path, monkeypatch)
    ds = MNIST(tmp_path / "data", download=True)
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(payload)  # no .part files left behind
    assert (
        len(ds) == 6
        and len(calls) == 4
        and all(c.startswith("https://mirror.invalid/a/") for c in calls)
    )
    MNIST(tmp_path / "data", train=False, download=True)
    assert len(calls) == 4  # present files are not fetched again


def test_download_falls_back_to_next_mirror(tmp_path, monkeypatch):
    _, calls = _serve(tmp_path, monkeypatch)
    serve = mnist_module._fetch

    def flaky(url, path):
        if "mirror.invalid" in url:
            raise urllib.error.URLError("connection refused")
        serve(url, path)

    monkeypatch.setattr(mnist_module, "_fetch", flaky)
    assert len(MNIST(tmp_path, download=True)) == 6
    assert [c.split("/")[2] for c in calls] == ["b.invalid"] * 4


def test_download_checksum_mismatch(tmp_path, monkeypatch):
    _serve(tmp_path, monkeypatch, corrupt={"train-labels-idx1-ubyte.gz"})
    with pytest.raises(
        DataFileError, match="checksum mismatch downloading train-labels-idx1-ubyte.gz"
    ) as info:
        MNIST(tmp_path, download=True)
    assert "does not match the expected" in str(info.value)
    assert str(info.value).startswith("MNIST: checksum mismatch")
    raw = tmp_path / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == ["train-images-idx3-ubyte.gz"]  # bad file discarded


def test_download_without_network_says_where_to_put_files(tmp_path, monkeypatch):
    def offline(url, path):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(mnist_module, "_fetch", offline)
    with pytest.raises(DownloadError) as info:
        FashionMNIST(tmp_path, download=True)
    msg = str(info.value)
    assert isinstance(info.value, RuntimeError) and "\n" not in msg
    assert msg.startswith("FashionMNIST: could not download train-images-idx3-ubyte.gz")
    assert "name resolution" in msg and "Without network, put" in msg
    assert str(tmp_path / "FashionMNIST" / "raw") in msg and "t10k-labels-idx1-ubyte.gz" in msg
