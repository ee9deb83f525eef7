"""``nerve.nn.utils.rnn``: PyTorch's import path for the variable-length helpers."""

from nerve.nn.sequence import (
    PackedSequence,
    pack_padded_sequence,
    pad_packed_sequence,
    pad_sequence,
)

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence"]
