"""save/load of weights and checkpoints in a format that cannot run code on load.

A file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays) holding one entry
``__nerve__``: the object's structure as JSON, in which every array is a reference
to another entry. Containers (dict, OrderedDict, list, tuple), Tensors,
Parameters, NumPy arrays and scalars, numbers, strings, bytes, bools, None and
dtypes are supported; dict keys may be any of those scalars (optimizer states use
ints). Arrays are read with ``allow_pickle=False``, so nothing in a file is ever
unpickled; a file asking for that is refused.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np

from nerve.tensor import Tensor

_HEADER = "__nerve__"
_VERSION = 1


class LoadError(RuntimeError, ValueError):
    """A file that is not a readable nerve checkpoint (PyTorch raises RuntimeError)."""


def save(obj, f, **_compat) -> None:
    """Write ``obj`` (a state_dict, a checkpoint dict, a Tensor ...) to ``f``.

    ``f`` is a path or a writable binary file object. A path is written
    atomically: to a temporary file in the same folder, then renamed over ``f``,
    so an interrupted save never leaves a half-written checkpoint behind.
    """
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, arrays, set())
    header = json.dumps({"version": _VERSION, "tree": tree}, allow_nan=True)
    arrays[_HEADER] = np.frombuffer(header.encode("utf-8"), dtype=np.uint8)
    if hasattr(f, "write"):
        np.savez(f, **arrays)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
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


def load(f, map_location=None, weights_only: bool = True, **_compat):
    """Read back what ``save`` wrote: the same structure, with Tensors for tensors.

    ``map_location`` and ``weights_only`` are accepted for PyTorch compatibility
    (nerve is CPU-only and never unpickles). A plain ``.npz`` of named arrays (for
    example a PyTorch state_dict exported with ``np.savez``) loads as an OrderedDict
    of Tensors. Raises ``LoadError`` (a RuntimeError and ValueError) naming the file
    when it is corrupt, truncated, not an npz, or holds pickled objects.
    """
    name = getattr(f, "name", None) if hasattr(f, "read") else os.fspath(f)
    label = repr(name) if name else "<file object>"
    if not hasattr(f, "read") and not os.path.exists(name):
        raise FileNotFoundError(f"nerve.load: no such file: {label}")
    _check_magic(f, label)
    try:
        with np.load(f, allow_pickle=False) as archive:
            return _read(archive, label)
    except LoadError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, TypeError,
            UnicodeDecodeError, json.JSONDecodeError) as err:
        if "pickle" in str(err):
            raise LoadError(f"nerve.load: {label} holds pickled Python objects; refusing to "
                            "load it (unpickling can run code)") from None
        raise LoadError(f"nerve.load: {label} is not a readable nerve file "
                        f"(corrupt, truncated or not written by nerve.save): {err}") from None


def _check_magic(f, label: str) -> None:
    """Refuse anything that is not a zip archive before NumPy looks at it."""
    if hasattr(f, "read"):
        start = f.tell()
        magic = f.read(4)
        f.seek(start)
    else:
        with open(f, "rb") as fh:
            magic = fh.read(4)
    if magic[:1] == b"\x80":
        raise LoadError(f"nerve.load: {label} is a Python pickle; refusing to load it "
                        "(unpickling can run code)")
    if magic != b"PK\x03\x04":
        raise LoadError(f"nerve.load: {label} is not a readable nerve file: it is not an "
                        "npz (zip) archive as written by nerve.save")


def _read(archive, label: str):
    names = archive.zip.namelist()
    foreign = [n for n in names if not n.endswith(".npy")]
    if foreign:
        raise LoadError(f"nerve.load: {label} contains {foreign[0]!r}, which is not a NumPy "
                        "array; nerve never unpickles (a PyTorch .pt file is refused)")
    if _HEADER not in archive.files:
        return OrderedDict((k, Tensor._wrap(_entry(archive, k, label))) for k in archive.files)
    header = json.loads(bytes(_entry(archive, _HEADER, label)).decode("utf-8"))
    if not isinstance(header, dict) or header.get("version") != _VERSION:
        raise LoadError(f"nerve.load: {label} has an unknown format version "
                        f"{header.get('version') if isinstance(header, dict) else header!r}")
    return _decode(header["tree"], archive, label)


def _entry(archive, key: str, label: str) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as err:
        if "pickle" in str(err):
            raise LoadError(f"nerve.load: {label} entry {key!r} holds pickled Python objects; "
                            "refusing to load it (loading pickles can run code)") from None
        raise


def _encode(obj, arrays: dict, active: set):
    """JSON for ``obj``: scalars as themselves, everything else a one-key tagged object."""
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int | float) and type(obj) in (int, float):
        return obj
    if isinstance(obj, Tensor):
        node = {"tensor": _put(obj._data, arrays), "requires_grad": bool(obj.requires_grad)}
        if type(obj).__name__ == "Parameter":
            node["parameter"] = True
        return node
    if isinstance(obj, np.ndarray):
        return {"ndarray": _put(obj, arrays)}
    if isinstance(obj, np.generic):
        return {"npscalar": _put(np.asarray(obj), arrays)}
    if isinstance(obj, bytes):
        return {"bytes": _put(np.frombuffer(obj, dtype=np.uint8), arrays)}
    if isinstance(obj, np.dtype):
        return {"dtype": obj.str}
    if isinstance(obj, dict | list | tuple):
        return _encode_container(obj, arrays, active)
    raise TypeError(f"nerve.save: cannot save an object of type {type(obj).__name__} (supported: "
                    "dict, list, tuple, Tensor, NumPy array, number, str, bytes, bool, None)")


def _encode_container(obj, arrays: dict, active: set):
    if id(obj) in active:
        raise ValueError("nerve.save: the object contains a reference cycle")
    active.add(id(obj))
    try:
        if isinstance(obj, dict):
            tag = "odict" if isinstance(obj, OrderedDict) else "dict"
            items = [[_encode(k, arrays, active), _encode(v, arrays, active)]
                     for k, v in obj.items()]
            return {tag: items}
        tag = "list" if isinstance(obj, list) else "tuple"
        return {tag: [_encode(v, arrays, active) for v in obj]}
    finally:
        active.discard(id(obj))


def _put(arr: np.ndarray, arrays: dict) -> str:
    if arr.dtype.hasobject:
        raise TypeError("nerve.save: arrays of Python objects cannot be saved without pickle")
    key = f"a{len(arrays)}"
    arrays[key] = arr
    return key


def _decode(node, archive, label: str):
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
        return _tensor(_entry(archive, value, label), node)
    if tag == "ndarray":
        return _entry(archive, value, label)
    if tag == "npscalar":
        return _entry(archive, value, label)[()]
    if tag == "bytes":
        return _entry(archive, value, label).tobytes()
    if tag == "dtype":
        return np.dtype(value)
    raise LoadError(f"nerve.load: {label} has an unknown entry type {tag!r}")


def _tensor(arr: np.ndarray, node: dict) -> Tensor:
    if node.get("parameter"):
        from nerve.nn.parameter import Parameter  # io sits above nn; imported only when needed

        return Parameter(arr, requires_grad=bool(node.get("requires_grad")))
    t = Tensor._wrap(arr)
    if node.get("requires_grad"):
        t.requires_grad_(True)
    return t

