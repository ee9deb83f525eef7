import numpy as np
import pytest
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
from nerve.functional.shuffle import pixel_shuffle, pixel_unshuffle


def _case(name, fn, tfn, shape, r):
    return Case(name, lambda x: fn(x, r), lambda x: tfn(x, r), [shape])


CASES = [
    _case("pixel_shuffle/r2", pixel_shuffle, TF.pixel_shuffle, (2, 8, 3, 4), 2),
    _case("pixel_shuffle/r3_unbatched", pixel_shuffle, TF.pixel_shuffle, (9, 2, 2), 3),
    _case("pixel_shuffle/5d", pixel_shuffle, TF.pixel_shuffle, (2, 2, 8, 2, 3), 2),
    _case("pixel_shuffle/r1", pixel_shuffle, TF.pixel_shuffle, (1, 3, 2, 2), 1),
    _case("pixel_unshuffle/r2", pixel_unshuffle, TF.pixel_unshuffle, (2, 3, 4, 6), 2),
    _case("pixel_unshuffle/r3_unbatched", pixel_unshuffle, TF.pixel_unshuffle, (2, 6, 3), 3),
    _case("pixel_unshuffle/5d", pixel_unshuffle, TF.pixel_unshuffle, (2, 2, 1, 4, 2), 2),
]


table_tests(CASES)


def test_roundtrip():
    x = nerve.randn(2, 3, 6, 4)
    np.testing.assert_array_equal(pixel_shuffle(pixel_unshuffle(x, 2), 2).numpy(), x.numpy())


def test_bad_arguments():
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        pixel_shuffle(nerve.randn(1, 3, 2, 2), 2)
    with pytest.raises(RuntimeError, match="height to be divisible by downscale_factor"):
        pixel_unshuffle(nerve.randn(1, 3, 3, 2), 2)
    with pytest.raises(RuntimeError, match="at least 3 dimensions"):
        pixel_shuffle(nerve.randn(3, 2), 2)
    with pytest.raises(RuntimeError, match="positive upscale_factor"):
        pixel_shuffle(nerve.randn(1, 4, 2, 2), 0)
    with pytest.raises(TypeError, match="must be int"):
        pixel_shuffle(nerve.randn(1, 4, 2, 2), 2.0)
