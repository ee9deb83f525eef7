"""The device tests run on "cuda": real CuPy when it sees a GPU, else the strict CPU
stand-in (nerve/backend/strict.py), switched on around each test of this folder only."""

import pytest

from nerve.backend import cupy_backend, use_strict_device


def real_gpu() -> bool:
    return cupy_backend.load()[0] is not None


@pytest.fixture(autouse=True)
def _cuda_device():
    use_strict_device(not real_gpu())
    yield
    use_strict_device(None)
