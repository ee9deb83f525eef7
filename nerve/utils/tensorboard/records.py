"""TensorBoard's event-file format, written without TensorBoard or protobuf installed.

An event file is a sequence of TFRecords: ``uint64 length | uint32 masked_crc(length) |
data | uint32 masked_crc(data)`` (little-endian), where ``masked_crc(b) = ((c >> 15) |
(c << 17)) + 0xa282ead8 mod 2³²`` for c the CRC-32C (Castagnoli) of b. Each record's data
is a serialized ``tensorflow.Event`` protocol buffer. The few messages a writer needs
(Event, Summary, Summary.Value, Image, HistogramProto, SummaryMetadata, TensorProto)
are encoded here by hand: a field is its key ``(number << 3) | wire_type`` as a varint,
then a varint (type 0), 8 bytes (type 1), a length and bytes (type 2) or 4 bytes (type 5).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1  # reflected Castagnoli polynomial
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        c = table[(c ^ byte) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data: bytes) -> bytes:
    """One TFRecord around ``data``."""
    header = struct.pack("<Q", len(data))
    return (
        header + struct.pack("<I", masked_crc(header)) + data + struct.pack("<I", masked_crc(data))
    )


# ----- protocol-buffer fields --------------------------------------------------------
def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 values take ten bytes, as protobuf encodes them
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def varint_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(int(value))


def double_field(number: int, value: float) -> bytes:
    return _varint(number << 3 | 1) + struct.pack("<d", value)


def float_field(number: int, value: float) -> bytes:
    return _varint(number << 3 | 5) + struct.pack("<f", value)


def bytes_field(number: int, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def packed_doubles(number: int, values) -> bytes:
    return bytes_field(number, np.asarray(values, "<f8").tobytes())


# ----- the messages ------------------------------------------------------------------
def event(
    wall_time: float,
    step: int | None = None,
    summary: bytes | None = None,
    file_version: str | None = None,
) -> bytes:
    """Event: wall_time (1, double), step (2, int64), file_version (3), summary (5)."""
    out = double_field(1, wall_time)
    if step is not None:
        out += varint_field(2, step)
    if file_version is not None:
        out += bytes_field(3, file_version)
    if summary is not None:
        out += bytes_field(5, summary)
    return out


def summary(*values: bytes) -> bytes:
    """Summary: repeated Value (1)."""
    return b"".join(bytes_field(1, v) for v in values)


def scalar_value(tag: str, value: float) -> bytes:
    """Summary.Value: tag (1), simple_value (2, float)."""
    return bytes_field(1, tag) + float_field(2, value)


def histogram_value(tag: str, values: np.ndarray, bins) -> bytes:
    """Summary.Value: tag (1), histo (5): HistogramProto min (1), max (2), num (3), sum (4),
    sum_squares (5), bucket_limit (6, the right edges), bucket (7, the counts)."""
    v = np.asarray(values, np.float64).reshape(-1)
    counts, edges = np.histogram(v, bins=bins)
    histo = (
        double_field(1, v.min())
        + double_field(2, v.max())
        + double_field(3, v.size)
        + double_field(4, v.sum())
        + double_field(5, float(v @ v))
        + packed_doubles(6, edges[1:])
        + packed_doubles(7, counts)
    )
    return bytes_field(1, tag) + bytes_field(5, histo)


def image_value(tag: str, hwc: np.ndarray) -> bytes:
    """Summary.Value: tag (1), image (4): height (1), width (2), colorspace (3, the channel
    count), encoded_image_string (4, PNG)."""
    h, w, c = hwc.shape
    image = varint_field(1, h) + varint_field(2, w) + varint_field(3, c) + bytes_field(4, png(hwc))
    return bytes_field(1, tag) + bytes_field(4, image)


def text_value(tag: str, text: str) -> bytes:
    """Summary.Value for the text plugin: tag (1), tensor (8): TensorProto dtype (1,
    DT_STRING = 7), tensor_shape (2) with one dim (2) of size (1) 1, string_val (8);
    metadata (9): SummaryMetadata plugin_data (1): plugin_name (1) "text"."""
    shape = bytes_field(2, varint_field(1, 1))
    tensor = varint_field(1, 7) + bytes_field(2, shape) + bytes_field(8, text)
    metadata = bytes_field(1, bytes_field(1, "text"))
    return bytes_field(1, tag) + bytes_field(8, tensor) + bytes_field(9, metadata)


def png(hwc: np.ndarray) -> bytes:
    """An 8-bit PNG of an (H, W, C) uint8 array, C = 1 (grey), 3 (RGB) or 4 (RGBA)."""
    h, w, c = hwc.shape
    color = {1: 0, 3: 2, 4: 6}[c]
    rows = np.concatenate([np.zeros((h, 1), np.uint8), hwc.reshape(h, w * c)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes()))
        + chunk(b"IEND", b"")
    )
