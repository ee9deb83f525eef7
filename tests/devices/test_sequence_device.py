"""nn.utils.rnn on "cuda": padding and packing keep the data on its device (the lengths
stay on the host, as PyTorch requires) and give the CPU's values."""

import numpy as np
import pytest

import nerve
from nerve.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

RNG = np.random.default_rng(0)
SEQS = [RNG.standard_normal((n, 3)).astype(np.float32) for n in (5, 2, 4)]


def _round_trip(device):
    seqs = [nerve.tensor(s, device=device) for s in SEQS]
    padded = pad_sequence(seqs, batch_first=True, padding_value=-1.0)
    packed = pack_padded_sequence(padded, [5, 2, 4], batch_first=True, enforce_sorted=False)
    out, lengths = pad_packed_sequence(packed, batch_first=True, padding_value=7.0, total_length=6)
    return padded, packed, out, lengths


def test_pad_pack_unpack_on_device_as_on_cpu():
    want = _round_trip("cpu")
    got = _round_trip("cuda")
    cuda = nerve.device("cuda:0")
    assert got[0].device == cuda and got[1].data.device == cuda and got[2].device == cuda
    assert got[3].device == nerve.device("cpu")  # lengths on the host, as PyTorch
    np.testing.assert_array_equal(got[0].cpu().numpy(), want[0].numpy())
    np.testing.assert_array_equal(got[2].cpu().numpy(), want[2].numpy())
    np.testing.assert_array_equal(got[1].batch_sizes.numpy(), want[1].batch_sizes.numpy())
    np.testing.assert_array_equal(got[3].numpy(), want[3].numpy())


def test_device_lengths_are_refused_as_in_pytorch():
    x = nerve.zeros(4, 2, 3, device="cuda")
    with pytest.raises(RuntimeError, match="'lengths' argument should be a 1D CPU int64"):
        pack_padded_sequence(x, nerve.tensor([4, 2], device="cuda"))
