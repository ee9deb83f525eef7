"""Keras-style Normalization and the transformer's causal mask on "cuda": the values of
the CPU, kept on the device."""

import numpy as np

import nerve
from nerve import nn

DATA = np.random.default_rng(0).standard_normal((20, 3)).astype(np.float32) * 3 + 1


def test_normalization_adapts_and_normalises_on_device():
    def run(device):
        layer = nn.Normalization(axis=-1, num_features=3).to(device)
        layer.adapt(nerve.tensor(DATA, device=device))
        return layer, layer(nerve.tensor(DATA[:4], device=device))

    cpu, want = run("cpu")
    dev, got = run("cuda")
    cuda = nerve.device("cuda:0")
    assert dev.mean.device == cuda and dev.variance.device == cuda and got.device == cuda
    np.testing.assert_allclose(dev.mean.cpu().numpy(), cpu.mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_adapt_on_device_data_keeps_a_cpu_layer_on_the_cpu():
    layer = nn.Normalization(axis=-1)
    layer.adapt(nerve.tensor(DATA, device="cuda"))
    assert layer.mean.device == nerve.device("cpu")
    np.testing.assert_allclose(layer.mean.numpy(), DATA.astype(np.float64).mean(0), rtol=1e-6)


def test_square_subsequent_mask_on_device():
    got = nn.Transformer.generate_square_subsequent_mask(4, device="cuda")
    want = nn.Transformer.generate_square_subsequent_mask(4)
    assert got.device == nerve.device("cuda:0")
    np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())


def test_norm_layers_built_with_device_hold_their_parameters_there():
    cuda = nerve.device("cuda:0")
    for layer in (
        nn.BatchNorm1d(4, device="cuda"),
        nn.GroupNorm(2, 4, device="cuda"),
        nn.LayerNorm(4, device="cuda"),
        nn.RMSNorm(4, device="cuda"),
    ):
        for t in (*layer.parameters(), *layer.buffers()):
            assert t.device == cuda, type(layer).__name__
        np.testing.assert_array_equal(layer.weight.detach().cpu().numpy(), np.ones(4))
