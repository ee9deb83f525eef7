import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

import nerve  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    nerve.manual_seed(0)
    np.random.seed(0)
    yield
