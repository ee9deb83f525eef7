"""NumPy's OpenBLAS thread count through the library's own call."""

import numpy as np
import pytest

from nerve.backend import blas

pytestmark = pytest.mark.skipif(not blas.available(), reason="numpy's BLAS is not OpenBLAS")


@pytest.fixture
def restore():
    before = blas.get()
    yield
    blas.put(before)


def test_put_and_get_round_trip_within_the_started_pool(restore):
    blas.put(1)
    assert blas.get() == 1
    blas.put(blas.max_threads() + 5)  # never more than OpenBLAS started with
    assert blas.get() == blas.max_threads()
    blas.put(0)
    assert blas.get() == 1


def test_products_agree_on_one_and_all_threads(restore):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 200)).astype(np.float32)
    b = rng.standard_normal((200, 250)).astype(np.float32)
    blas.put(1)
    one = a @ b
    blas.put(blas.max_threads())
    np.testing.assert_allclose(one, a @ b, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(one, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)


def test_the_library_is_found_in_the_memory_map_without_threadpoolctl(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    paths = blas._paths()
    assert paths and all("openblas" in p.lower() for p in paths)
