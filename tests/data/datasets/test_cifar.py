"""CIFAR-10 from small batches written here; the restricted unpickler refuses code."""

import hashlib
import http.client
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

from nerve.data import DataLoader
from nerve.data.datasets import (
    CIFAR10,
    DataFileError,
    DatasetNotFoundError,
    DownloadError,
    UnsafePickleError,
    load_pickle,
)
from nerve.data.datasets import mnist as mnist_module

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


class Py2Array:
    """Pickles like an array saved by Python 2: raw bytes as a latin-1 string."""

    def __init__(self, arr):
        self.arr = arr

    def __reduce__(self):
        a = self.arr
        state = (1, a.shape, a.dtype, False, a.tobytes().decode("latin1"))
        return np._core.multiarray._reconstruct, (np.ndarray, (0,), "b"), state


def py2_pickle(obj) -> bytes:
    # protocol 2 names globals on text lines, so the old numpy module name drops in
    return pickle.dumps(obj, protocol=2).replace(
        b"numpy._core.multiarray", b"numpy.core.multiarray"
    )


def write_batches(folder, sizes=(3, 2, 2, 1, 2), test_size=4, py2=False, seed=0):
    """Batches in the python-version layout; returns {name: (rows (n, 3072), labels)}."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    out = {}
    for name, n in zip(names, list(sizes) + [test_size]):
        rows = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n).tolist()
        entry = {
            "batch_label": f"batch {name}",
            "labels": labels,
            "data": Py2Array(rows) if py2 else rows,
            "filenames": [f"img_{i}.png" for i in range(n)],
        }
        blob = py2_pickle(entry) if py2 else pickle.dumps(entry, protocol=4)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(blob)
        out[name] = (rows, labels)
    meta = {"label_names": CLASSES, "num_cases_per_batch": 10000, "num_vis": 3072}
    with open(os.path.join(folder, "batches.meta"), "wb") as f:
        f.write(py2_pickle(meta) if py2 else pickle.dumps(meta, protocol=4))
    return out


@pytest.mark.parametrize("py2", [False, True])
def test_reads_batches_in_nhwc(tmp_path, py2):
    batches = write_batches(tmp_path / "cifar-10-batches-py", py2=py2)
    if py2:  # the fake Python 2 file reads the same through the standard unpickler
        with open(tmp_path / "cifar-10-batches-py" / "test_batch", "rb") as f:
            np.testing.assert_array_equal(
                pickle.load(f, encoding="latin1")["data"], batches["test_batch"][0]
            )
    ds = CIFAR10(tmp_path)
    rows = np.concatenate([batches[f"data_batch_{i}"][0] for i in range(1, 6)])
    labels = sum((batches[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    assert ds.data.shape == (10, 32, 32, 3) and ds.data.dtype == np.uint8
    assert ds.data.flags.c_contiguous and ds.targets == labels and ds.classes == CLASSES
    # a row holds the red plane, then green, then blue, each 32x32 row-major
    i, r, c = 7, 5, 30
    assert [ds.data[i, r, c, ch] for ch in range(3)] == [
        rows[i, ch * 1024 + r * 32 + c] for ch in range(3)
    ]
    img, label = ds[i]
    assert img.dtype == np.float32 and tuple(img.shape) == (3, 32, 32) and label == labels[i]
    np.testing.assert_allclose(img.numpy(), rows[i].reshape(3, 32, 32) / 255.0, rtol=1e-6)
    test = CIFAR10(tmp_path, train=False)
    assert len(test) == 4 and test.targets == batches["test_batch"][1]
    assert test.class_to_idx["truck"] == 9 and "Split: Test" in repr(test)


def test_loader_batches_and_transforms(tmp_path):
    write_batches(tmp_path)  # root may be the batches folder itself
    ds = CIFAR10(tmp_path)
    x, y = next(iter(DataLoader(ds, batch_size=6)))
    assert tuple(x.shape) == (6, 3, 32, 32) and x.dtype == np.float32 and y.dtype == np.int64
    for i in range(6):
        np.testing.assert_array_equal(x.numpy()[i], ds[i][0].numpy())
    assert y.numpy().tolist() == ds.targets[:6]
    seen = []
    tf = CIFAR10(
        tmp_path, transform=lambda a: seen.append(a.shape) or a.sum(), target_transform=lambda t: -t
    )
    value, label = tf[3]
    assert seen == [(32, 32, 3)] and value == ds.data[3].sum() and label == -ds.targets[3]


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        CIFAR10(tmp_path / "absent")
    msg = str(info.value)
    assert isinstance(info.value, RuntimeError) and "\n" not in msg and "no such folder" in msg
    assert str(tmp_path / "absent" / "cifar-10-batches-py") in msg
    assert "data_batch_5" in msg and "batches.meta" in msg and "download=True" in msg
    write_batches(tmp_path / "cifar-10-batches-py")
    os.remove(tmp_path / "cifar-10-batches-py" / "test_batch")
    with pytest.raises(DatasetNotFoundError, match="test_batch"):
        CIFAR10(tmp_path)


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class EvalString:
    def __reduce__(self):
        return eval, ("__import__('os').getcwd()",)


@pytest.mark.parametrize(
    "payload,names",
    [
        (lambda m: {"data": Evil(m), "labels": [0]}, "system"),
        (lambda m: [EvalString()], "builtins.eval"),
        (lambda m: {"data": np.ma.masked_array([1, 2])}, "numpy.ma"),
        (lambda m: {"data": np.array([1, "x"], dtype=object)}, "Python objects"),
    ],
)
def test_malicious_pickles_are_refused_and_run_nothing(tmp_path, payload, names):
    marker = tmp_path / "pwned"
    folder = tmp_path / "cifar-10-batches-py"
    write_batches(folder)
    (folder / "data_batch_3").write_bytes(pickle.dumps(payload(marker), protocol=4))
    with pytest.raises(UnsafePickleError, match=names) as info:
        CIFAR10(tmp_path)
    assert "data_batch_3" in str(info.value) and "\n" not in str(info.value)
    assert not marker.exists()


def test_allowed_globals_cannot_be_modified_or_misused(tmp_path):
    path = tmp_path / "p"
    # GLOBAL numpy.dtype, EMPTY_DICT, 'a': 1, BUILD: set an attribute on the allowed global
    path.write_bytes(b"cnumpy\ndtype\n}X\x01\x00\x00\x00aK\x01sb.")
    with pytest.raises(UnsafePickleError, match="modifying numpy.dtype is refused"):
        load_pickle(str(path))
    # numpy.ndarray may only be handed to the reconstructor, never called
    path.write_bytes(b"cnumpy\nndarray\nK\x03\x85R.")
    with pytest.raises(UnsafePickleError, match="calling numpy.ndarray is refused"):
        load_pickle(str(path))
    # the reconstructor builds plain ndarrays only
    path.write_bytes(
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\ndtype\nK\x01\x85X\x01\x00\x00\x00b\x87R."
    )
    with pytest.raises(UnsafePickleError, match="only numpy.ndarray"):
        load_pickle(str(path))


def test_corrupt_and_malformed_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    write_batches(folder)
    good = (folder / "data_batch_2").read_bytes()
    (folder / "data_batch_2").write_bytes(good[: len(good) // 2])
    with pytest.raises(DataFileError, match="data_batch_2: corrupt or truncated pickle"):
        CIFAR10(tmp_path)
    bad = {"data": np.zeros((2, 100), np.uint8), "labels": [0, 1]}
    (folder / "data_batch_2").write_bytes(pickle.dumps(bad, protocol=4))
    with pytest.raises(
        DataFileError,
        match=r"uint8 array of shape \(N, 3072\); got uint8 "
        r"array of shape \(2, 100\)",
    ):
        CIFAR10(tmp_path)
    bad = {"data": np.zeros((2, 3072), np.uint8), "labels": [0]}
    (folder / "data_batch_2").write_bytes(pickle.dumps(bad, protocol=4))
    with pytest.raises(DataFileError, match="expected 2 non-negative 'labels', got 1"):
        CIFAR10(tmp_path)
    bad = {"data": np.zeros((1, 3072), np.uint8), "labels": ["cat"]}
    (folder / "data_batch_2").write_bytes(pickle.dumps(bad, protocol=4))
    with pytest.raises(DataFileError, match="'labels' must be a list of ints"):
        CIFAR10(tmp_path)
    bad = {"data": np.zeros((1, 3072), np.uint8), "labels": [10]}
    (folder / "data_batch_2").write_bytes(pickle.dumps(bad, protocol=4))
    with pytest.raises(DataFileError, match="label 10 out of range for the 10 classes"):
        CIFAR10(tmp_path)


def _tarball(source_folder, evil=False) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(source_folder, arcname="cifar-10-batches-py")
        if evil:
            info = tarfile.TarInfo("../escaped.txt")
            info.size = 4
            tar.addfile(info, io.BytesIO(b"oops"))
    return buf.getvalue()


@pytest.mark.parametrize("evil", [False, True])
def test_download_verifies_and_unpacks_safely(tmp_path, monkeypatch, evil):
    batches = write_batches(tmp_path / "src" / "b")
    blob = _tarball(tmp_path / "src" / "b", evil)
    calls = []

    def fetch(url, path):
        calls.append(url)
        with open(path, "wb") as f:
            f.write(blob)

    monkeypatch.setattr(mnist_module, "_fetch", fetch)
    monkeypatch.setattr(CIFAR10, "tgz_md5", hashlib.md5(blob).hexdigest())
    root = tmp_path / "root"
    if evil:
        with pytest.raises(DataFileError, match="cannot unpack"):
            CIFAR10(root, download=True)
        assert not (tmp_path / "escaped.txt").exists()
        assert sorted(os.listdir(root)) == ["cifar-10-python.tar.gz"]  # nothing half-unpacked
        return
    ds = CIFAR10(root, train=False, download=True)
    assert calls == [CIFAR10.url] and ds.targets == batches["test_batch"][1]
    assert (root / "cifar-10-python.tar.gz").exists()
    CIFAR10(root, download=True)
    assert len(calls) == 1


def test_download_checksum_mismatch(tmp_path, monkeypatch):
    def fetch(url, path):
        with open(path, "wb") as f:
            f.write(b"not the archive")

    monkeypatch.setattr(mnist_module, "_fetch", fetch)
    with pytest.raises(
        DataFileError, match="^CIFAR10: checksum mismatch downloading cifar-10-python.tar.gz"
    ):
        CIFAR10(tmp_path, download=True)
    assert os.listdir(tmp_path) == []


def test_download_offline_or_cut_off(tmp_path, monkeypatch):
    def cut(url, path):
        with open(path, "wb") as f:
            f.write(b"partial")
        raise http.client.IncompleteRead(b"partial", 100)

    monkeypatch.setattr(mnist_module, "_fetch", cut)
    with pytest.raises(DownloadError) as info:
        CIFAR10(tmp_path / "c", download=True)
    msg = str(info.value)
    assert msg.startswith("CIFAR10: could not download cifar-10-python.tar.gz") and "\n" not in msg
    assert "Without network, download https://www.cs.toronto.edu" in msg
    assert str(tmp_path / "c") in msg and os.listdir(tmp_path / "c") == []  # no .part left


def test_download_archive_without_batches(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "readme.html").write_text("hi")
    blob = _tarball(tmp_path / "src")

    def fetch(url, path):
        with open(path, "wb") as f:
            f.write(blob)

    monkeypatch.setattr(mnist_module, "_fetch", fetch)
    monkeypatch.setattr(CIFAR10, "tgz_md5", hashlib.md5(blob).hexdigest())
    with pytest.raises(DataFileError, match="the archive lacks cifar-10-batches-py/data_batch_1"):
        CIFAR10(tmp_path / "root", download=True)
