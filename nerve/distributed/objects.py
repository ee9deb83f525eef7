"""Collectives on Python objects, as ``torch.distributed``'s ``*_object`` functions, but
sent as JSON, never pickled: receiving an object never runs code.

What travels: None, bool, int, float, str, lists (tuples arrive as lists), dicts with
string keys, and NumPy arrays and nerve Tensors (tagged ``{"__ndarray__": ...}`` with
dtype, shape and base64 bytes). Anything else raises a TypeError on the sending rank.
"""

from __future__ import annotations

import base64
import json

import numpy as np

from nerve.distributed.process_group import group_rank, mpi, resolve
from nerve.tensor import Tensor

_TAG = "__ndarray__"


def _default(obj):
    if isinstance(obj, Tensor):
        return {_TAG: _array(obj._data), "tensor": True}
    if isinstance(obj, np.ndarray):
        return {_TAG: _array(obj)}
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(
        f"nerve.distributed: objects travel as JSON (no pickle): cannot send "
        f"{type(obj).__name__}; use None, bool, int, float, str, list, dict, "
        f"NumPy arrays or Tensors"
    )


def _array(arr: np.ndarray) -> dict:
    arr = np.ascontiguousarray(arr)
    return {
        "dtype": arr.dtype.str,
        "shape": list(arr.shape),
        "data": base64.b64encode(arr.tobytes()).decode("ascii"),
    }


def _hook(d: dict):
    spec = d.get(_TAG)
    if spec is None:
        return d
    arr = np.frombuffer(base64.b64decode(spec["data"]), np.dtype(spec["dtype"]))
    arr = arr.reshape(spec["shape"]).copy()
    return Tensor._wrap(arr) if d.get("tensor") else arr


def encode(obj) -> np.ndarray:
    return np.frombuffer(json.dumps(obj, default=_default).encode("utf-8"), np.uint8)


def decode(buf: np.ndarray):
    return json.loads(buf.tobytes().decode("utf-8"), object_hook=_hook)


def _allgather_bytes(pg, data: np.ndarray) -> list[np.ndarray]:
    sizes = np.empty(pg.size(), np.int64)
    pg.comm.Allgather(np.array([data.size], np.int64), sizes)
    recv = np.empty(int(sizes.sum()), np.uint8)
    pg.comm.Allgatherv(data, [recv, sizes, mpi().BYTE])
    return np.split(recv, np.cumsum(sizes)[:-1])


def all_gather_object(object_list: list, obj, group=None) -> None:
    """``object_list[r]`` becomes rank r's ``obj``, on every rank."""
    pg = resolve(group)
    if pg is None:
        return
    if len(object_list) != pg.size():
        raise RuntimeError(
            f"all_gather_object: object_list must have world_size "
            f"({pg.size()}) entries, got {len(object_list)}"
        )
    for i, part in enumerate(_allgather_bytes(pg, encode(obj))):
        object_list[i] = decode(part)


def gather_object(
    obj,
    object_gather_list: list | None = None,
    dst: int | None = None,
    group=None,
    group_dst: int | None = None,
) -> None:
    """On rank ``dst``, ``object_gather_list[r]`` becomes rank r's ``obj``."""
    pg = resolve(group)
    if pg is None:
        return
    root = group_rank(pg, dst, group_dst, "gather_object", "dst")
    if pg.rank() == root and (object_gather_list is None or len(object_gather_list) != pg.size()):
        raise ValueError(
            f"gather_object: object_gather_list must have world_size "
            f"({pg.size()}) entries on the destination rank"
        )
    parts = _allgather_bytes(pg, encode(obj))  # small objects: one allgather is simplest
    if pg.rank() == root:
        for i, part in enumerate(parts):
            object_gather_list[i] = decode(part)


def broadcast_object_list(
    object_list: list, src: int | None = None, group=None, device=None, group_src: int | None = None
) -> None:
    """Every rank's ``object_list`` (of the same length) becomes rank ``src``'s."""
    pg = resolve(group)
    if pg is None:
        return
    root = group_rank(pg, src, group_src, "broadcast_object_list")
    if pg.rank() == root:
        parts = [encode(o) for o in object_list]
        sizes = np.array([p.size for p in parts], np.int64)
    else:
        sizes = np.empty(len(object_list), np.int64)
    pg.comm.Bcast(sizes, root)
    data = (
        np.concatenate(parts)
        if pg.rank() == root and parts
        else np.empty(int(sizes.sum()), np.uint8)
    )
    pg.comm.Bcast(data, root)
    for i, part in enumerate(np.split(data, np.cumsum(sizes)[:-1]) if len(sizes) else []):
        object_list[i] = decode(part)


def scatter_object_list(
    scatter_object_output_list: list,
    scatter_object_input_list: list | None = None,
    src: int | None = None,
    group=None,
    group_src: int | None = None,
) -> None:
    """``scatter_object_output_list[0]`` of rank r becomes ``scatter_object_input_list[r]``
    of rank ``src``."""
    pg = resolve(group)
    if pg is None:
        return
    root = group_rank(pg, src, group_src, "scatter_object_list")
    if not isinstance(scatter_object_output_list, list) or not scatter_object_output_list:
        raise ValueError(
            "Expected argument scatter_object_output_list to be a list of size at least 1."
        )
    objects = [None] * pg.size()
    if pg.rank() == root:
        if scatter_object_input_list is None or len(scatter_object_input_list) != pg.size():
            raise ValueError(
                f"scatter_object_list: scatter_object_input_list must have "
                f"world_size ({pg.size()}) entries on the source rank"
            )
        objects = list(scatter_object_input_list)
    broadcast_object_list(objects, group_src=root, group=group)
    scatter_object_output_list[0] = objects[pg.rank()]
