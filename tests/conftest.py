import os
import sys

import numpy as np
import pytest

# Tests import their helper modules (opcheck, layercheck, ...) by plain name; with
# --import-mode=importlib, same-named test files in different folders do not clash.
_HERE = os.path.dirname(os.path.abspath(__file__))
for _dir, _subdirs, _files in os.walk(_HERE):
    _subdirs[:] = [d for d in _subdirs if not d.startswith((".", "__"))]
    if _dir not in sys.path:
        sys.path.insert(0, _dir)

import nerve  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    nerve.manual_seed(0)
    np.random.seed(0)
    yield
