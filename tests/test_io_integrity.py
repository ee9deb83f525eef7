"""Checkpoints detect corruption: digests of every tensor and of the header, and hostile
archives (bombs, huge declared shapes, odd zip features, pipes) refused with LoadError."""

import hashlib
import io
import json
import os
import subprocess
import sys
import threading
import zipfile

import numpy as np
import pytest

import nerve
from nerve.io import LoadError


def _saved(tmp_path, obj=None):
    path = tmp_path / "ck.nrv"
    nerve.save(
        obj
        if obj is not None
        else {"w": nerve.arange(12.0).reshape(3, 4), "step": 5, "name": "run"},
        path,
    )
    return path


def _members(path):
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _rewrite(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _npy(arr):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr))
    return buf.getvalue()


def _tensor_member(members):
    header = json.loads(np.load(io.BytesIO(members["__nerve__.npy"])).tobytes())
    return header["tree"]["dict"][0][1]["tensor"] + ".npy"


def test_format_2_records_a_digest_of_every_array_and_of_the_header(tmp_path):
    path = _saved(tmp_path)
    members = _members(path)
    raw = np.load(io.BytesIO(members["__nerve__.npy"])).tobytes()
    header = json.loads(raw)
    assert header["version"] == 2
    key = _tensor_member(members)[:-4]
    arr = np.load(io.BytesIO(members[key + ".npy"]))
    assert header["arrays"][key] == {
        "dtype": "<f4",
        "shape": [3, 4],
        "sha256": hashlib.sha256(arr.tobytes()).hexdigest(),
    }
    digest = np.load(io.BytesIO(members["__nerve_sha256__.npy"])).tobytes().decode()
    assert digest == hashlib.sha256(raw).hexdigest()


def test_a_tensor_changed_with_a_valid_zip_crc_is_detected(tmp_path):
    path = _saved(tmp_path)
    members = _members(path)
    name = _tensor_member(members)
    changed = np.load(io.BytesIO(members[name])).copy()
    changed[1, 2] += 1
    members[name] = _npy(changed)
    _rewrite(path, members)  # zipfile writes a fresh, valid CRC-32
    with pytest.raises(LoadError, match=r"ck.nrv.*corrupt.*SHA-256"):
        nerve.load(path)


def test_a_header_changed_with_a_valid_zip_crc_is_detected(tmp_path):
    path = _saved(tmp_path)
    members = _members(path)
    raw = (
        np.load(io.BytesIO(members["__nerve__.npy"])).tobytes().replace(b'"step", 5', b'"step", 7')
    )
    members["__nerve__.npy"] = _npy(np.frombuffer(raw, np.uint8))
    _rewrite(path, members)
    with pytest.raises(LoadError, match="header does not match its digest"):
        nerve.load(path)


@pytest.mark.parametrize(
    "replacement",
    [
        np.array([b"abcd"] * 12).reshape(3, 4),
        np.arange(12, dtype=np.float64).reshape(3, 4),
        np.arange(12, dtype=np.float32),
    ],
)
def test_another_dtype_or_shape_under_a_tensors_name_is_refused(tmp_path, replacement):
    path = _saved(tmp_path)
    members = _members(path)
    members[_tensor_member(members)] = _npy(replacement)
    _rewrite(path, members)
    with pytest.raises(LoadError, match="only numeric and bool|header says"):
        nerve.load(path)


def test_a_foreign_member_is_refused(tmp_path):
    path = _saved(tmp_path)
    members = _members(path)
    members["extra.npy"] = _npy(np.zeros(2))
    _rewrite(path, members)
    with pytest.raises(LoadError, match="not in its header"):
        nerve.load(path)


def test_two_members_with_one_name_are_refused(tmp_path):
    path = _saved(tmp_path)
    members = _members(path)
    name = _tensor_member(members)
    with zipfile.ZipFile(path, "w") as z, pytest.warns(UserWarning, match="Duplicate"):
        for n, data in members.items():
            z.writestr(n, data)
        z.writestr(name, _npy(np.zeros((3, 4), np.float32)))
    with pytest.raises(LoadError, match="second member named"):
        nerve.load(path)


def _patch_local_and_central(path, offset_local, offset_central, value: bytes):
    """Overwrite a field of the first member's local header and central-directory entry."""
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02")
    data[offset_local : offset_local + len(value)] = value
    data[central + offset_central : central + offset_central + len(value)] = value
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "field,local,central,value,match",
    [
        ("encrypted flag", 6, 8, b"\x01\x00", "encrypted"),
        ("compression method", 8, 10, b"\x0e\x00", "compression method 14"),
        ("version needed", 4, 6, b"\xff\x00", "not a readable nerve file"),
    ],
)
def test_odd_zip_features_give_load_error_not_zipfiles_own(
    tmp_path, field, local, central, value, match
):
    path = _saved(tmp_path)
    _patch_local_and_central(path, local, central, value)
    with pytest.raises(LoadError, match=match):
        nerve.load(path)


def test_a_decompression_bomb_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.npz"
    _rewrite(path, {"w.npy": _npy(np.zeros(16 << 20, np.uint8))}, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 100_000
    with pytest.raises(LoadError, match=r"16777\d+ bytes once read, over the limit of 1048576"):
        nerve.load(path, max_bytes=1 << 20)
    assert nerve.load(path, max_bytes=32 << 20)["w"].shape == (16 << 20,)


@pytest.mark.parametrize("shape", [(1 << 32,), (1 << 40, 8), (3, 1 << 60)])
def test_a_huge_declared_shape_is_refused_before_allocating(tmp_path, shape):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": shape}
    )
    path = tmp_path / "huge.npz"
    _rewrite(path, {"w.npy": header.getvalue() + b"\0" * 64})
    with pytest.raises(LoadError, match=r"declares shape .* but holds 64"):
        nerve.load(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.nrv"
    os.mkfifo(fifo)
    result = {}
    t = threading.Thread(target=lambda: result.update(err=_load_error(fifo)), daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive(), "nerve.load blocked on a named pipe"
    assert "not a regular file" in result["err"]


def _load_error(path):
    try:
        nerve.load(path)
    except LoadError as err:
        return str(err)
    return "loaded"


def test_a_format_1_file_still_loads_with_a_warning(tmp_path):
    path = tmp_path / "old.nrv"
    header = {
        "version": 1,
        "tree": {"dict": [["w", {"tensor": "a0", "requires_grad": False}], ["epoch", 3]]},
    }
    raw = np.frombuffer(json.dumps(header).encode(), np.uint8)
    np.savez(path, a0=np.ones((2, 2), np.float32), __nerve__=raw)
    with pytest.warns(UserWarning, match="format 1, without digests"):
        obj = nerve.load(str(path) + ".npz")
    assert obj["epoch"] == 3
    np.testing.assert_array_equal(obj["w"].numpy(), np.ones((2, 2)))


def test_round_trip_of_layouts_the_digest_must_see_alike(tmp_path):
    obj = {
        "t": nerve.arange(12.0).reshape(3, 4).t(),
        "scalar": np.float64(2.5),
        "zero_d": nerve.tensor(3.0),
        "big_endian": np.arange(4, dtype=">i4"),
        "empty": nerve.zeros(0, 3),
        "flags": nerve.tensor([True, False]),
        "blob": b"\x00\x01",
    }
    back = nerve.load(_saved(tmp_path, obj))
    np.testing.assert_array_equal(back["t"].numpy(), obj["t"].numpy())
    assert back["zero_d"].shape == () and back["scalar"] == 2.5
    assert back["big_endian"].dtype == np.dtype(">i4") and back["empty"].shape == (0, 3)
    assert back["flags"].dtype == nerve.bool and back["blob"] == b"\x00\x01"
    back["t"].add_(1)  # loaded tensors are writable (optimizers update them in place)


def test_string_arrays_are_not_saved(tmp_path):
    with pytest.raises(TypeError, match="dtype <U3 cannot be saved"):
        nerve.save({"names": np.array(["cat", "dog"])}, tmp_path / "x.nrv")


def test_temporaries_of_dead_writers_are_removed_by_the_next_save(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".last.nrv.{dead_pid}.k3j2.tmp"
    live = tmp_path / f".last.nrv.{os.getppid()}.x9q1.tmp"  # a writer still running
    other = tmp_path / f".other.nrv.{dead_pid}.aaaa.tmp"
    for p in (stale, live, other):
        p.write_bytes(b"half a checkpoint")
    nerve.save({"w": nerve.ones(2)}, tmp_path / "last.nrv")
    assert not stale.exists()
    assert live.exists() and other.exists()
    assert nerve.load(tmp_path / "last.nrv")["w"].shape == (2,)
