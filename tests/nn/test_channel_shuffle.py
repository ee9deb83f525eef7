"""ChannelShuffle (and native_channel_shuffle) against PyTorch: values, gradients, repr
and errors."""

import numpy as np
import pytest
import torch
from layercheck import twin_check

import nerve
import nerve.nn as nn


def test_channel_shuffle():
    m, t = nn.ChannelShuffle(3), torch.nn.ChannelShuffle(3)
    assert repr(m) == repr(t)
    twin_check(m, t, (2, 6, 4, 3))
    twin_check(m, t, (2, 6, 5))
    x = nerve.randn(2, 6, 3)
    np.testing.assert_array_equal(
        nerve.nn.functional.native_channel_shuffle(x, 2).numpy(),
        torch.native_channel_shuffle(torch.from_numpy(x.numpy()), 2).numpy(),
    )
    for bad in (nerve.randn(2, 6), nerve.randn(2, 7, 3)):
        with pytest.raises(RuntimeError):
            m(bad)
