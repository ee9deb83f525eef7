"""Sequence tasks: noisy sine, system identification, the "hello" toy."""

import numpy as np
import pytest
import torch

import nerve
from nerve.data import DataLoader
from nerve.data.datasets import hello, noisy_sine, system_identification
from nerve.data.datasets.timeseries import plant


def test_noisy_sine_shapes_and_targets():
    ds = noisy_sine(num_samples=300, window=16, horizon=3, noise_std=0.2)
    x, y = ds.tensors
    assert tuple(x.shape) == (300, 16, 1) and tuple(y.shape) == (300, 3)
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert np.abs(y.numpy()).max() <= 1.0  # targets are the clean wave
    xs, ys = ds[5]
    assert tuple(xs.shape) == (16, 1) and tuple(ys.shape) == (3,)
    # the noise is what separates inputs from a sine: its spread is about noise_std
    clean = noisy_sine(num_samples=300, window=16, horizon=3, noise_std=0.0)
    noise = x.numpy() - clean.tensors[0].numpy()
    assert abs(noise.std() - 0.2) < 0.01 and abs(noise.mean()) < 0.01
    np.testing.assert_array_equal(y.numpy(), clean.tensors[1].numpy())


def test_noisy_sine_continues_the_window():
    x, y = noisy_sine(num_samples=50, window=30, horizon=2, noise_std=0.0).tensors
    x, y = x.numpy()[:, :, 0].astype(np.float64), y.numpy().astype(np.float64)
    # a sine obeys s(t+1) = 2 cos(w) s(t) - s(t-1); fit w from the window, extrapolate
    c = ((x[:, 2:] + x[:, :-2]) * x[:, 1:-1]).sum(1) / (2 * (x[:, 1:-1] ** 2).sum(1))
    nxt = 2 * c * x[:, -1] - x[:, -2]
    np.testing.assert_allclose(nxt, y[:, 0], atol=1e-4)
    np.testing.assert_allclose(2 * c * nxt - x[:, -1], y[:, 1], atol=1e-4)
    period = 2 * np.pi / np.arccos(c)
    assert period.min() >= 10 - 1e-3 and period.max() <= 40 + 1e-3


def test_reproducible_and_independent_of_global_seed():
    nerve.manual_seed(1)
    np.random.seed(1)
    a = noisy_sine(num_samples=20, seed=3)
    nerve.manual_seed(2)
    np.random.seed(2)
    b = noisy_sine(num_samples=20, seed=3)
    np.testing.assert_array_equal(a.tensors[0].numpy(), b.tensors[0].numpy())
    test = noisy_sine(num_samples=20, seed=3, split="test")
    assert not np.allclose(a.tensors[1].numpy(), test.tensors[1].numpy())
    other = system_identification(num_samples=20, seed=4)
    same = system_identification(num_samples=20, seed=4)
    np.testing.assert_array_equal(other.tensors[0].numpy(), same.tensors[0].numpy())


def test_system_identification_follows_the_plant():
    ds = system_identification(num_samples=400, window=8)
    x, y = ds.tensors
    assert tuple(x.shape) == (400, 8, 2) and tuple(y.shape) == (400, 1)
    assert x.dtype == np.float32 and y.dtype == np.float32
    u, out = x.numpy()[..., 0].astype(np.float64), x.numpy()[..., 1].astype(np.float64)
    assert np.abs(u).max() <= 1 and np.abs(out).max() <= 1.5 and out.std() > 0.3
    # each step inside the window and the target obey y(k+1) = y/(1+y^2) + u^3
    np.testing.assert_allclose(out[:, 1:], plant(out[:, :-1], u[:, :-1]), atol=1e-5)
    np.testing.assert_allclose(y.numpy()[:, 0], plant(out[:, -1], u[:, -1]), atol=1e-5)
    noisy = system_identification(num_samples=400, window=8, noise_std=0.05)
    np.testing.assert_array_equal(noisy.tensors[1].numpy(), y.numpy())
    err = noisy.tensors[0].numpy()[..., 1] - out
    assert abs(err.std() - 0.05) < 0.005
    np.testing.assert_array_equal(noisy.tensors[0].numpy()[..., 0], u.astype(np.float32))


def test_rnn_input_layout_matches_torch():
    """Batches feed a batch_first recurrent layer as they do in PyTorch."""
    xb, yb = next(iter(DataLoader(noisy_sine(num_samples=64), batch_size=32)))
    rnn = torch.nn.RNN(1, 8, batch_first=True)
    out, _ = rnn(torch.from_numpy(xb.numpy()))
    assert tuple(out.shape) == (32, 20, 8) and tuple(yb.shape) == (32, 1)


@pytest.mark.parametrize(
    "fn,kwargs,match",
    [
        (noisy_sine, dict(window=0), "window must be a positive int"),
        (noisy_sine, dict(num_samples=2.5), "num_samples"),
        (noisy_sine, dict(horizon=True), "horizon"),
        (noisy_sine, dict(noise_std=-1), "noise_std must be >= 0"),
        (noisy_sine, dict(split="val"), "split must be one of"),
        (system_identification, dict(window=-3), "window"),
        (system_identification, dict(noise_std=-0.1), "noise_std"),
        (system_identification, dict(split="dev"), "split"),
    ],
)
def test_bad_arguments(fn, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fn(**kwargs)


def test_hello_toy():
    ds = hello()
    assert len(ds) == 1 and ds.vocab.chars == ["e", "h", "l", "o"] and ds.word == "hello"
    x, y = ds.tensors
    assert tuple(x.shape) == (1, 4, 4) and x.dtype == np.float32
    assert tuple(y.shape) == (1, 4) and y.dtype == np.int64
    assert set(np.unique(x.numpy()).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(x.numpy().sum(-1), 1.0)
    assert ds.vocab.decode(x.numpy()[0].argmax(-1)) == "hell"
    assert ds.vocab.decode(y.numpy()[0]) == "ello"
    ids = hello(one_hot=False)
    assert ids.tensors[0].dtype == np.int64 and ds.vocab.decode(ids.tensors[0].numpy()[0]) == "hell"
    other = hello("abcab")
    assert len(other.vocab) == 3 and tuple(other.tensors[0].shape) == (1, 4, 3)
    assert other.vocab.decode(other.tensors[1].numpy()[0]) == "bcab"
    with pytest.raises(ValueError, match="at least 2 characters"):
        hello("h")
