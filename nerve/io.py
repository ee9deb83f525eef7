"""save/load of weights and checkpoints in a format that cannot run code on load.

A file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays) holding one entry
``__nerve__``: the object's structure as JSON, in which every array is a reference
to another entry. Containers (dict, OrderedDict, list, tuple), Tensors,
Parameters, numeric and bool NumPy arrays and scalars, numbers, strings, bytes, bools,
None and dtypes are supported; dict keys may be any of those scalars (optimizer states
use ints). Nothing in a file is ever unpickled; a file asking for that is refused.
A bfloat16 array (NumPy's kind 'V', which ``.npy`` would store as raw void bytes) is
stored as its 16-bit patterns (uint16) and its structure entry says ``"dtype":
"bfloat16"``; loading it back needs ml_dtypes.

Format version 2 makes corruption detectable: the header records every array's dtype,
shape and SHA-256 digest, and the entry ``__nerve_sha256__`` holds the header's own
digest. On load the archive is read without trusting it (nerve/npz_archive.py), then
every digest, dtype and shape is checked, and any mismatch, foreign entry or zip-level
error is a ``LoadError`` naming the file and what is wrong. Version-1 files (no digests)
still load, with a warning.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import warnings
from collections import OrderedDict

import numpy as np

from nerve import bf16_dtype
from nerve.backend import cuda_available, device, to_device, to_host
from nerve.npz_archive import NUMERIC_KINDS, ArchiveError, read_members, source_size
from nerve.tensor import Tensor

_HEADER = "__nerve__"
_DIGEST = "__nerve_sha256__"
_VERSION = 2
_STALE_AGE_S = 3600  # a temporary file of unknown writer this old is a crash's leftover


class LoadError(RuntimeError, ValueError):
    """A file that is not a readable nerve checkpoint (PyTorch raises RuntimeError)."""


def save(obj, f, **_compat) -> None:
    """Write ``obj`` (a state_dict, a checkpoint dict, a Tensor ...) to ``f``.

    ``f`` is a path or a writable binary file object. A path is written
    atomically: to a temporary file in the same folder, then renamed over ``f``,
    so an interrupted save never leaves a half-written checkpoint behind; the
    temporary files of writers killed mid-save are removed by the next save.
    """
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, arrays, set())
    meta = {
        key: {"dtype": arr.dtype.str, "shape": list(arr.shape), "sha256": _sha256(arr)}
        for key, arr in arrays.items()
    }
    header = json.dumps({"version": _VERSION, "tree": tree, "arrays": meta}, allow_nan=True).encode(
        "utf-8"
    )
    arrays[_HEADER] = np.frombuffer(header, dtype=np.uint8)
    arrays[_DIGEST] = np.frombuffer(hashlib.sha256(header).hexdigest().encode(), np.uint8)
    if hasattr(f, "write"):
        np.savez(f, **arrays)
        return
    _write_atomically(os.fspath(f), arrays)


def _write_atomically(path: str, arrays: dict) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    # the pid in the name tells a later save whether the writer is still alive
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _sync_folder(folder)
    _remove_stale_temporaries(folder, base)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_stale_temporaries(folder: str, base: str) -> None:
    """Delete ``.<base>.<pid>.*.tmp`` files whose writer is dead (killed mid-save)."""
    prefix = f".{base}."
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix) :].split(".", 1)[0]
        full = os.path.join(folder, name)
        try:
            if pid.isdigit():
                if int(pid) == os.getpid() or _alive(int(pid)):
                    continue
            elif time.time() - os.path.getmtime(full) < _STALE_AGE_S:
                continue
            os.remove(full)
        except OSError:
            pass  # another saver removed it first


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _sha256(arr: np.ndarray) -> str:
    return hashlib.sha256(arr.reshape(-1).view(np.uint8)).hexdigest()


def load(
    f, map_location=None, weights_only: bool = True, *, max_bytes: int | None = None, **_compat
):
    """Read back what ``save`` wrote: the same structure, with Tensors for tensors.

    Tensors go back to the device they were saved from, unless ``map_location`` says
    otherwise, as in PyTorch: a device or its name (every tensor there), a dict from saved
    to wanted location (``{"cuda:0": "cpu"}``), or a callable ``(tensor, location)``
    returning the placed tensor (or anything else: keep the CPU one). ``weights_only`` is
    accepted for PyTorch compatibility (nerve never unpickles). A plain ``.npz`` of named
    arrays (for example a PyTorch state_dict exported with ``np.savez``) loads as an OrderedDict
    of Tensors. ``max_bytes`` bounds the memory the arrays may take (default: the
    larger of 1 GiB and the file's size). Raises ``LoadError`` (a RuntimeError and
    ValueError) naming the file when it is corrupt, truncated, not an npz, holds
    pickled objects, fails a digest, or is not a regular file.
    """
    name = getattr(f, "name", None) if hasattr(f, "read") else os.fspath(f)
    label = repr(name) if name else "<file object>"
    if not hasattr(f, "read") and not os.path.exists(name):
        raise FileNotFoundError(f"nerve.load: no such file: {label}")
    try:
        size = source_size(f)
        _check_magic(f, label)
        members = read_members(f, size, max_bytes)
        _placement.append(map_location)
        try:
            return _read(members, label)
        finally:
            _placement.pop()
    except (LoadError, AssertionError, _NoDeviceError, ImportError):
        raise  # ImportError: a bfloat16 entry, and no ml_dtypes to hold it
    except ArchiveError as err:
        raise LoadError(f"nerve.load: {label} is not a readable nerve file: {err}") from None
    except Exception as err:  # noqa: BLE001 - a hostile header can raise anything in decoding
        raise LoadError(
            f"nerve.load: {label} is not a readable nerve file "
            f"(corrupt, or not written by nerve.save): {type(err).__name__}: "
            f"{err}"
        ) from None


def _check_magic(f, label: str) -> None:
    """Refuse anything that is not a zip archive before the zip reader looks at it."""
    if hasattr(f, "read"):
        start = f.tell()
        magic = f.read(4)
        f.seek(start)
    else:
        with open(f, "rb") as fh:
            magic = fh.read(4)
    if magic[:1] == b"\x80":
        raise LoadError(
            f"nerve.load: {label} is a Python pickle; refusing to load it (unpickling can run code)"
        )
    if magic != b"PK\x03\x04":
        raise LoadError(
            f"nerve.load: {label} is not a readable nerve file: it is not an "
            "npz (zip) archive as written by nerve.save"
        )


def _read(members: dict, label: str):
    if _HEADER not in members:
        if any(k.startswith("__nerve") for k in members):
            raise LoadError(
                f"nerve.load: {label} is corrupt: it has nerve entries but no header entry"
            )
        return OrderedDict((k, Tensor._wrap(v)) for k, v in members.items())
    raw = members.pop(_HEADER)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise LoadError(f"nerve.load: {label} has a malformed header entry")
    header = json.loads(raw.tobytes().decode("utf-8"))
    version = header.get("version") if isinstance(header, dict) else header
    if version == 1:
        warnings.warn(
            f"nerve.load: {label} was written by an older nerve (format 1, without "
            "digests), so corruption in it cannot be detected; save it again to add "
            "them",
            UserWarning,
            stacklevel=3,
        )
    elif version == _VERSION:
        _verify(raw, header, members, label)
    else:
        raise LoadError(f"nerve.load: {label} has an unknown format version {version!r:.40}")
    return _decode(header["tree"], members, label)


def _verify(raw: np.ndarray, header: dict, members: dict, label: str) -> None:
    """Format 2: the header's digest, then every array's dtype, shape and digest."""
    digest = members.pop(_DIGEST, None)
    if digest is None or digest.tobytes() != hashlib.sha256(raw.tobytes()).hexdigest().encode():
        raise LoadError(f"nerve.load: {label} is corrupt: its header does not match its digest")
    meta = header.get("arrays")
    if not isinstance(meta, dict) or set(meta) != set(members):
        extra = sorted(set(members) - set(meta or ()))[:3]
        missing = sorted(set(meta or ()) - set(members))[:3]
        raise LoadError(
            f"nerve.load: {label} is corrupt: entries {extra} are not in its "
            f"header, entries {missing} are missing"
        )
    for key, arr in members.items():
        want = meta[key]
        if arr.dtype.str != want["dtype"] or list(arr.shape) != want["shape"]:
            raise LoadError(
                f"nerve.load: {label} is corrupt: entry {key!r} holds "
                f"{arr.dtype.str} {list(arr.shape)}, its header says "
                f"{want['dtype']} {want['shape']}"
            )
        if _sha256(arr) != want["sha256"]:
            raise LoadError(
                f"nerve.load: {label} is corrupt: entry {key!r} "
                f"({want['dtype']} {want['shape']}) does not match its SHA-256"
            )


def _entry(members: dict, key, label: str) -> np.ndarray:
    if not isinstance(key, str) or key not in members:
        raise LoadError(f"nerve.load: {label} refers to a missing entry {key!r:.40}")
    return members[key]


def _encode(obj, arrays: dict, active: set):
    """JSON for ``obj``: scalars as themselves, everything else a one-key tagged object."""
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int | float) and type(obj) in (int, float):
        return obj
    if isinstance(obj, Tensor):
        # device arrays are written as host copies, with the device they came from
        host = to_host(obj._data)
        node = {"tensor": _put(host, arrays), "requires_grad": bool(obj.requires_grad)}
        if obj.is_cuda:
            node["device"] = str(obj.device)
        if type(obj).__name__ == "Parameter":
            node["parameter"] = True
        return _mark_bf16(node, host)
    if isinstance(obj, np.ndarray):
        return _mark_bf16({"ndarray": _put(obj, arrays)}, obj)
    if isinstance(obj, np.generic):
        return _mark_bf16({"npscalar": _put(np.asarray(obj), arrays)}, obj)
    if isinstance(obj, bytes):
        return {"bytes": _put(np.frombuffer(obj, dtype=np.uint8), arrays)}
    if obj is bf16_dtype.bfloat16 or isinstance(obj, np.dtype) and bf16_dtype.is_bf16(obj):
        return {"dtype": "bfloat16"}
    if isinstance(obj, np.dtype):
        return {"dtype": obj.str}
    if isinstance(obj, dict | list | tuple):
        return _encode_container(obj, arrays, active)
    raise TypeError(
        f"nerve.save: cannot save an object of type {type(obj).__name__} (supported: "
        "dict, list, tuple, Tensor, NumPy array, number, str, bytes, bool, None)"
    )


def _encode_container(obj, arrays: dict, active: set):
    if id(obj) in active:
        raise ValueError("nerve.save: the object contains a reference cycle")
    active.add(id(obj))
    try:
        if isinstance(obj, dict):
            tag = "odict" if isinstance(obj, OrderedDict) else "dict"
            items = [
                [_encode(k, arrays, active), _encode(v, arrays, active)] for k, v in obj.items()
            ]
            return {tag: items}
        tag = "list" if isinstance(obj, list) else "tuple"
        return {tag: [_encode(v, arrays, active) for v in obj]}
    finally:
        active.discard(id(obj))


def _mark_bf16(node: dict, arr) -> dict:
    if bf16_dtype.is_bf16(arr.dtype):
        node["dtype"] = "bfloat16"
    return node


def _put(arr: np.ndarray, arrays: dict) -> str:
    if bf16_dtype.is_bf16(arr.dtype):
        arr = arr.view(np.uint16)  # its bit patterns; the structure entry names the dtype
    if arr.dtype.kind not in NUMERIC_KINDS or arr.dtype.fields is not None:
        raise TypeError(
            f"nerve.save: arrays of dtype {arr.dtype} cannot be saved without "
            "pickle; only numeric and bool arrays can be saved"
        )
    key = f"a{len(arrays)}"
    # stored in C order, so the digest of the bytes in memory is the digest of the file's
    arrays[key] = arr if arr.flags.c_contiguous else arr.copy(order="C")
    return key


def _decode(node, archive: dict, label: str):
    if node is None or isinstance(node, bool | int | float | str):
        return node
    if not isinstance(node, dict) or not node:
        raise LoadError(f"nerve.load: {label} has a malformed structure entry: {node!r:.80}")
    tag = next(iter(node))
    value = node[tag]
    if tag in ("dict", "odict"):
        kind = OrderedDict if tag == "odict" else dict
        return kind((_decode(k, archive, label), _decode(v, archive, label)) for k, v in value)
    if tag in ("list", "tuple"):
        items = [_decode(v, archive, label) for v in value]
        return items if tag == "list" else tuple(items)
    if tag == "tensor":
        return _tensor(_typed(archive, value, node, label), node)
    if tag == "ndarray":
        return _typed(archive, value, node, label)
    if tag == "npscalar":
        arr = _typed(archive, value, node, label)
        if arr.ndim:
            raise LoadError(f"nerve.load: {label} has a scalar entry of shape {arr.shape}")
        return arr[()]
    if tag == "bytes":
        arr = _entry(archive, value, label)
        if arr.dtype != np.uint8 or arr.ndim != 1:
            raise LoadError(f"nerve.load: {label} has a bytes entry of {arr.dtype} {arr.shape}")
        return arr.tobytes()
    if tag == "dtype":
        return bf16_dtype.bfloat16 if value == "bfloat16" else np.dtype(value)
    raise LoadError(f"nerve.load: {label} has an unknown entry type {tag!r}")


def _typed(archive: dict, key, node: dict, label: str) -> np.ndarray:
    """The entry ``key`` as the dtype its structure entry names (bfloat16 is stored as
    uint16 bit patterns); an entry with no dtype is the array it holds."""
    arr = _entry(archive, key, label)
    want = node.get("dtype")
    if want is None:
        return arr
    if want != "bfloat16":
        raise LoadError(f"nerve.load: {label} has an entry of unknown dtype {want!r:.40}")
    if arr.dtype != np.uint16:
        raise LoadError(
            f"nerve.load: {label} is corrupt: its bfloat16 entry {key!r} holds "
            f"{arr.dtype.str}, not the 16-bit patterns (<u2) nerve.save writes"
        )
    return arr.view(bf16_dtype.in_use())


_placement: list = []  # the map_location of the load in progress


class _NoDeviceError(RuntimeError):
    """A saved device that is not here (PyTorch's RuntimeError), passed through as is."""


def _place(arr: np.ndarray, node: dict):
    """``arr`` (read from the file) on the device map_location picks for it."""
    saved = node.get("device", "cpu")
    where = _placement[-1] if _placement else None
    if callable(where):
        out = where(Tensor._wrap(arr), saved)
        return out._data if isinstance(out, Tensor) else arr
    if isinstance(where, dict):
        where = where.get(saved, saved)
    target = saved if where is None else str(device(where))
    if device(target).type == "cuda" and not cuda_available():
        raise _NoDeviceError(
            "Attempting to deserialize object on a CUDA device but "
            "nerve.cuda.is_available() is False. If you are running on a "
            "CPU-only machine, please use nerve.load with "
            "map_location=nerve.device('cpu') to map your storages to the CPU."
        )
    return to_device(arr, target)


def _tensor(arr: np.ndarray, node: dict) -> Tensor:
    arr = _place(arr, node)
    if node.get("parameter"):
        from nerve.nn.parameter import Parameter  # io sits above nn; imported only when needed

        return Parameter(arr, requires_grad=bool(node.get("requires_grad")))
    t = Tensor._wrap(arr)
    if node.get("requires_grad"):
        t.requires_grad_(True)
    return t
