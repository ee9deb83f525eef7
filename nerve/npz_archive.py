"""Reading an npz archive (a zip of ``.npy`` arrays) without trusting a byte of it.

``np.load`` believes what a file declares: a shape of 8 TiB is allocated (and fails with
NumPy's raw memory error), a 14 MB member inflates to 3.2 GB, an encrypted or oddly
compressed member raises zipfile's own errors, two members of one name load silently,
and a named pipe blocks forever. Here every member is checked before anything is
allocated:

- the source is a regular file (or a seekable file object), never a pipe or device;
- member names are unique ``*.npy`` names; members are stored or deflated, unencrypted;
- the members and the central directory account for every byte, so a damaged directory
  cannot hide members (and load the rest as if that were the whole file);
- the declared uncompressed sizes add up to at most ``max_bytes`` (by default the larger
  of 1 GiB and the file's own size, so any archive that ``np.savez`` stored uncompressed
  loads, and a decompression bomb does not);
- each ``.npy`` header declares a numeric or bool dtype (no objects, strings, records)
  and a shape whose bytes equal what the member holds;
- every member is read to its end, so zip's CRC-32 of it is checked.

Any failure raises ``ArchiveError`` with what was wrong; ``nerve.io`` names the file.
"""

from __future__ import annotations

import io
import math
import os
import stat
import struct
import zipfile

import numpy as np

DEFAULT_MAX_BYTES = 1 << 30
# bool, signed and unsigned ints, floats, complex: what a tensor can hold.
NUMERIC_KINDS = "biufc"
_MAX_NPY_HEADER = 10_000  # NumPy's own limit for a header it trusts


class ArchiveError(ValueError):
    """The archive is malformed, hostile or corrupt; the message says how."""


def source_size(f) -> int:
    """The byte size of a path (a regular file only) or of a seekable file object."""
    if hasattr(f, "read"):
        try:
            start = f.tell()
            end = f.seek(0, io.SEEK_END)
            f.seek(start)
        except (OSError, ValueError, AttributeError) as err:
            raise ArchiveError(f"the file object is not seekable ({err})") from None
        return end - start
    info = os.stat(f)
    if not stat.S_ISREG(info.st_mode):
        # reading a FIFO or a device blocks or never ends
        raise ArchiveError("it is not a regular file (a pipe, device, socket or folder)")
    return info.st_size


def read_members(f, size: int, max_bytes: int | None = None) -> dict[str, np.ndarray]:
    """Every member of the archive ``f`` as an array, keyed by its name without ``.npy``."""
    limit = max(DEFAULT_MAX_BYTES, size) if max_bytes is None else int(max_bytes)
    try:
        with zipfile.ZipFile(f) as archive:
            infos = archive.infolist()
            _check_directory(infos, size, limit)
            _check_layout(archive.fp, infos)
            return {info.filename[:-4]: _read_npy(archive, info, limit) for info in infos}
    except ArchiveError:
        raise
    except Exception as err:  # noqa: BLE001 - zipfile and zlib raise a dozen types
        raise ArchiveError(f"{type(err).__name__}: {err}") from None


def _check_directory(infos, size: int, limit: int) -> None:
    seen = set()
    for info in infos:
        name = info.filename
        if name in seen:
            raise ArchiveError(f"it holds a second member named {name!r}")
        if not name.endswith(".npy") or "/" in name:
            raise ArchiveError(
                f"it holds {name!r}, which is not a NumPy array; nerve never "
                "unpickles (a PyTorch .pt file is refused)"
            )
        seen.add(name)
        if info.flag_bits & 0x1:
            raise ArchiveError(f"member {name!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ArchiveError(
                f"member {name!r} uses compression method {info.compress_type} "
                "(only stored and deflated members are read)"
            )
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise ArchiveError(
                f"member {name!r} is stored uncompressed but declares "
                f"{info.file_size} bytes in {info.compress_size}"
            )
    if sum(i.compress_size for i in infos) > size:
        raise ArchiveError(f"its members declare more bytes than the file's {size}")
    total = sum(i.file_size for i in infos)
    if total > limit:
        raise ArchiveError(
            f"its arrays would take {total} bytes once read, over the limit of "
            f"{limit} (pass max_bytes= to allow more)"
        )


def _check_layout(fp, infos) -> None:
    """Walk the file: members back to back from the start, then exactly one central
    directory entry per member, then the end record. Nothing may be left over."""

    def at(pos: int, n: int) -> bytes:
        fp.seek(pos)
        return fp.read(n)

    ordered = sorted(infos, key=lambda i: i.header_offset)
    pos = ordered[0].header_offset if ordered else 0
    if ordered and at(0, 4) != b"PK\x03\x04":
        raise ArchiveError("it does not start with a member")
    for info in ordered:
        head = at(pos, 30)
        if info.header_offset != pos or head[:4] != b"PK\x03\x04":
            raise ArchiveError(f"bytes at offset {pos} belong to no member")
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        pos += 30 + name_len + extra_len + info.compress_size
        if info.flag_bits & 0x8:  # a data descriptor follows the data
            large = max(info.compress_size, info.file_size) > 0xFFFFFFFF
            pos += (4 if at(pos, 4) == b"PK\x07\x08" else 0) + (20 if large else 12)
    entries = 0
    while (head := at(pos, 46))[:4] == b"PK\x01\x02" and len(head) == 46:
        name_len, extra_len, comment_len = struct.unpack("<HHH", head[28:34])
        pos += 46 + name_len + extra_len + comment_len
        entries += 1
    if entries != len(infos) or at(pos, 4) not in (b"PK\x05\x06", b"PK\x06\x06"):
        raise ArchiveError(
            f"its directory lists {len(infos)} members but the file holds "
            f"{entries} directory entries before offset {pos}"
        )


def _read_npy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> np.ndarray:
    name = info.filename
    with archive.open(info) as fh:
        try:
            version = np.lib.format.read_magic(fh)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read_header(fh, max_header_size=_MAX_NPY_HEADER)
        except (ValueError, TypeError, SyntaxError) as err:
            raise ArchiveError(f"member {name!r} has no valid .npy header ({err})") from None
        if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype:
            raise ArchiveError(
                f"member {name!r} holds dtype {dtype.str!r}; only numeric and bool arrays are read"
            )
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > limit or fh.tell() + nbytes != info.file_size:
            raise ArchiveError(
                f"member {name!r} declares shape {shape} of {dtype.str} "
                f"({nbytes} bytes) but holds {info.file_size - fh.tell()}"
            )
        data = np.empty(nbytes, np.uint8)  # read straight into the array's own memory
        got = fh.readinto(memoryview(data))
        if got != nbytes or fh.read(1):  # reading to the end checks the member's CRC-32
            raise ArchiveError(f"member {name!r} is truncated or overlong")
    return data.view(dtype).reshape(shape, order="F" if fortran else "C")
