"""Lazy layers on "cuda": built with device= or moved before the first call, they
materialise their parameters on the device, with the CPU's initial values."""

import numpy as np
import pytest

import nerve
from nerve import nn

X = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)


def _first_call(make, device):
    nerve.manual_seed(1)
    layer = make(device)
    out = layer(nerve.tensor(X, device=device))
    return layer, out


@pytest.mark.parametrize("how", ["device=", "to"])
def test_lazy_linear_materialises_on_device(how):
    def make(device):
        if how == "device=":
            return nn.LazyLinear(4, device=device)
        return nn.LazyLinear(4).to(device)

    cpu, want = _first_call(make, "cpu")
    dev, got = _first_call(make, "cuda")
    assert type(dev) is nn.Linear and dev.weight.device == nerve.device("cuda:0")
    np.testing.assert_array_equal(dev.weight.detach().cpu().numpy(), cpu.weight.detach().numpy())
    np.testing.assert_allclose(
        got.detach().cpu().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_lazy_batchnorm_buffers_on_device():
    nerve.manual_seed(1)
    layer = nn.LazyBatchNorm1d(device="cuda")
    # materialise only (the batch-norm op's own device run is tested with its rows)
    layer.initialize_parameters(nerve.tensor(X, device="cuda"))
    assert tuple(layer.running_mean.shape) == (5,)
    assert layer.running_mean.device == nerve.device("cuda:0")
    assert layer.weight.device == nerve.device("cuda:0")
