"""Variable-length batches without sorting.

nerve's recurrent layers take a padded batch plus one length per sequence and mask the
padded steps inside the fused op: there the state is carried unchanged, the output is 0
and no gradient flows, which is what PyTorch's packed sequences give. So "packing" only
bundles the padded tensor with its lengths; nothing is sorted or copied.

    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, h_n = lstm(packed)                 # or simply lstm(x, lengths=lengths)
    y, lengths = pad_packed_sequence(out, batch_first=True)
"""

from __future__ import annotations

from typing import NamedTuple

from nerve.backend import array_module, is_device_array, same_module, to_host
from nerve.dtypes import int64
from nerve.tensor import Tensor


class PackedSequence(NamedTuple):
    """A padded batch in time-major layout, data (T, B, *), with lengths (B,) (int64).

    Unlike PyTorch's, the data is not packed step by step: the layers read the lengths."""

    data: Tensor
    lengths: object  # a host int64 array: PyTorch keeps the lengths on the CPU too

    @property
    def batch_sizes(self) -> Tensor:
        """Sequences still running at each step, as in PyTorch's PackedSequence."""
        steps = array_module(self.lengths).arange(self.data.shape[0])
        return Tensor._wrap((steps[:, None] < self.lengths[None, :]).sum(axis=1))


def _lengths(lengths, batch: int, total: int):
    data = lengths._data if isinstance(lengths, Tensor) else lengths
    if is_device_array(data):  # PyTorch's rule: the lengths are read on the host
        raise RuntimeError(
            f"'lengths' argument should be a 1D CPU int64 tensor, but got "
            f"{data.ndim}D {lengths.device} {lengths.dtype} tensor"
        )
    arr = to_host(data)
    if arr.ndim != 1 or arr.shape[0] != batch:
        raise RuntimeError(
            f"pack_padded_sequence: expected {batch} lengths (one per "
            f"sequence), got shape {arr.shape}"
        )
    if arr.dtype.kind not in "iu":
        raise RuntimeError(f"pack_padded_sequence: lengths must be integers, got {arr.dtype}")
    if arr.size and arr.min() <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an "
            "element in 'lengths' that is <= 0"
        )
    if arr.size and arr.max() > total:
        raise RuntimeError(
            f"pack_padded_sequence: a length of {arr.max()} exceeds the padded length {total}"
        )
    return arr.astype(int64)


def pack_padded_sequence(
    input: Tensor,
    lengths,
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Bundle a padded batch, (T, B, *) or (B, T, *) if batch_first, with its lengths.

    As in PyTorch, ``enforce_sorted=True`` requires decreasing lengths; pass
    ``enforce_sorted=False`` for any order (nothing is sorted either way)."""
    if input.ndim < 2:
        raise RuntimeError(
            f"pack_padded_sequence: expected input of at least 2 dimensions, "
            f"got shape {tuple(input.shape)}"
        )
    x = input.transpose(0, 1) if batch_first else input
    arr = _lengths(lengths, x.shape[1], x.shape[0])
    if enforce_sorted and bool((arr[1:] > arr[:-1]).any()):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when "
            "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
            "pack_padded_sequence and/or pack_sequence to sidestep this "
            "requirement if you do not need ONNX exportability."
        )
    return PackedSequence(x, arr)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple:
    """The padded tensor, (T, B, *) or (B, T, *) if batch_first, and the lengths (int64)."""
    x, lengths = sequence.data, sequence.lengths
    if total_length is not None and total_length != x.shape[0]:
        if total_length < x.shape[0]:
            raise ValueError(
                f"Expected total_length to be at least {x.shape[0]}, but got "
                f"total_length={total_length}"
            )
        x = _pad_time(x, total_length - x.shape[0])
    if padding_value != 0:
        xp = array_module(x._data)
        steps = xp.arange(x.shape[0])[:, None] < same_module(lengths, x._data)[None, :]
        pad = (~steps).astype(x.dtype).reshape(steps.shape + (1,) * (x.ndim - 2))
        x = x + Tensor._wrap(pad * padding_value)
    return (x.transpose(0, 1) if batch_first else x), Tensor._wrap(lengths.copy())


def _pad_time(x: Tensor, extra: int) -> Tensor:
    from nerve.ops.shape.rearrange import cat

    zeros = Tensor._wrap(array_module(x._data).zeros((extra,) + tuple(x.shape[1:]), x.dtype))
    return cat([x, zeros], dim=0)


def pad_sequence(
    sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"
) -> Tensor:
    """Stack sequences of shapes (Lᵢ, *) into (max L, B, *) (or (B, max L, *)), padded."""
    from nerve.ops.shape.rearrange import cat, stack

    if padding_side != "right":
        raise NotImplementedError("pad_sequence: only padding_side='right' is supported")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        if extra:
            fill = array_module(s._data).full((extra,) + tuple(s.shape[1:]), padding_value, s.dtype)
            s = cat([s, Tensor._wrap(fill)], dim=0)
        padded.append(s)
    return stack(padded, dim=0 if batch_first else 1)
