"""fit's metrics on "cuda" (the strict stand-in in CI): computed on the outputs' device,
the same numbers as on the CPU."""

import numpy as np
import pytest

import nerve
from nerve.train import Accuracy, TopKAccuracy


@pytest.mark.parametrize("metric", [Accuracy(), TopKAccuracy(1), TopKAccuracy(3), TopKAccuracy(10)])
def test_metric_on_the_device_equals_the_cpu_value(metric):
    rng = np.random.default_rng(0)
    out, tgt = rng.standard_normal((64, 10)).astype(np.float32), rng.integers(0, 10, 64)
    cpu = metric(nerve.tensor(out), nerve.tensor(tgt))
    dev = metric(nerve.tensor(out, device="cuda"), nerve.tensor(tgt, device="cuda"))
    assert isinstance(dev, float) and dev == cpu
    assert 0.0 < cpu <= 1.0
