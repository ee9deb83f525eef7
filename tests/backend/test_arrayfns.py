"""backend.arrayfns: the device-safe forms agree with NumPy's ufunc methods."""

import numpy as np
import pytest

from nerve.backend import strict
from nerve.backend.arrayfns import reduceat


@pytest.mark.parametrize("name", ["add", "maximum", "minimum"])
def test_reduceat_strict_matches_numpy(name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((9, 3)).astype(np.float32)
    starts = np.array([0, 2, 3, 7])
    want = getattr(np, name).reduceat(x, starts, axis=0)
    got = reduceat(name, strict.xp.asarray(x), strict.xp.asarray(starts)).get()
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_array_equal(reduceat(name, x, starts), want)


def test_reduceat_strict_integer_segments():
    x = np.array([5, 1, 4, 4, 2, 9])
    starts = np.array([0, 1, 4])
    got = reduceat("minimum", strict.xp.asarray(x), strict.xp.asarray(starts)).get()
    np.testing.assert_array_equal(got, np.minimum.reduceat(x, starts))


def test_reduceat_strict_along_a_later_axis():
    x = np.random.default_rng(1).standard_normal((2, 7, 3))
    starts = np.array([0, 3, 4])
    got = reduceat("maximum", strict.xp.asarray(x), strict.xp.asarray(starts), axis=1).get()
    np.testing.assert_array_equal(got, np.maximum.reduceat(x, starts, axis=1))
