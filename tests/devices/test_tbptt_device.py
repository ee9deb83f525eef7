"""Sampling on "cuda" (nn/tbptt.py): the draws come from the host generator, so a seeded
run picks the CPU's tokens, and the tokens stay on the device."""

import numpy as np

import nerve
from nerve.nn.tbptt import generate, sample_next

LOGITS = np.random.default_rng(0).standard_normal((6, 9)).astype(np.float32)


def _sampled(device, temperature):
    nerve.manual_seed(4)
    return sample_next(nerve.tensor(LOGITS, device=device), temperature)


def test_sample_next_on_device_picks_the_cpu_tokens():
    for temperature in (0, 0.5, 1.0):
        want, got = _sampled("cpu", temperature), _sampled("cuda", temperature)
        assert got.device == nerve.device("cuda:0")
        np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())


def _bigram(device):
    """A model whose next-token logits are a row of a fixed table (B, t) -> (B, t, V)."""
    table = nerve.tensor(
        np.random.default_rng(1).standard_normal((9, 9)).astype(np.float32), device=device
    )

    def model(tokens, state):
        return table[tokens], state

    return model


def test_generate_on_device_as_on_cpu():
    def run(device):
        nerve.manual_seed(2)
        prime = nerve.tensor([[1, 2], [3, 4]], device=device)
        return generate(_bigram(device), prime, 7)[0]

    want, got = run("cpu"), run("cuda")
    assert got.device == nerve.device("cuda:0")
    np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())
