"""Checkpoints and resume: 2 epochs + save + load into fresh objects + 2 epochs gives
exactly the weights of 4 epochs straight, shuffling and dropout included."""

import numpy as np
import pytest
from standins import TinyLoader, TinyMLP, TinySGD, blobs, cross_entropy

import nerve
from nerve.train import ModelCheckpoint, fit, load_checkpoint, save_checkpoint


def _run(epochs, initial_epoch=0, callbacks=None, model=None, opt=None):
    x, y = blobs()
    model = model or TinyMLP(4, 16, 3, p=0.3)
    opt = opt or TinySGD(model.parameters(), lr=0.05)
    fit(
        model,
        cross_entropy,
        opt,
        TinyLoader(x, y, 16, shuffle=True),
        epochs=epochs,
        initial_epoch=initial_epoch,
        callbacks=callbacks,
        verbose=False,
    )
    return model, opt


def _weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_resume_continues_exactly(tmp_path):
    nerve.manual_seed(7)
    straight, _ = _run(4)

    nerve.manual_seed(7)
    path = tmp_path / "ck.nrv"
    _run(2, callbacks=[ModelCheckpoint(path, monitor="loss")])

    nerve.manual_seed(999)  # a new process: other initial weights, another RNG state
    model = TinyMLP(4, 16, 3, p=0.3)
    opt = TinySGD(model.parameters(), lr=0.05)
    start = load_checkpoint(path, model, opt)
    assert start == 2
    resumed, _ = _run(4, initial_epoch=start, model=model, opt=opt)
    for k, v in _weights(straight).items():
        np.testing.assert_array_equal(_weights(resumed)[k], v)


def test_resume_without_the_rng_state_diverges(tmp_path):
    """The control for the test above: the RNG state is what makes the order identical."""
    nerve.manual_seed(7)
    straight, _ = _run(4)
    nerve.manual_seed(7)
    path = tmp_path / "ck.nrv"
    _run(2, callbacks=[ModelCheckpoint(path, monitor="loss")])
    nerve.manual_seed(999)
    model = TinyMLP(4, 16, 3, p=0.3)
    opt = TinySGD(model.parameters(), lr=0.05)
    start = load_checkpoint(path, model, opt, restore_rng=False)
    resumed, _ = _run(4, initial_epoch=start, model=model, opt=opt)
    assert not np.array_equal(_weights(resumed)["fc1.weight"], _weights(straight)["fc1.weight"])


class _LoaderWithGenerator(TinyLoader):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.generator = nerve.Generator().manual_seed(3)


def test_checkpoint_keeps_the_loaders_own_generator(tmp_path):
    x, y = blobs()
    loader = _LoaderWithGenerator(x, y, 16, shuffle=True)
    model = TinyMLP(4, 8, 3)
    loader.generator.rng.random(5)
    save_checkpoint(tmp_path / "c.nrv", model, epoch=1, train_loader=loader)
    expected = loader.generator.rng.random(3)
    fresh = _LoaderWithGenerator(x, y, 16, shuffle=True)
    load_checkpoint(tmp_path / "c.nrv", TinyMLP(4, 8, 3), train_loader=fresh)
    np.testing.assert_array_equal(fresh.generator.rng.random(3), expected)


def test_weights_only_and_bad_checkpoints(tmp_path):
    model = TinyMLP(4, 8, 3)
    save_checkpoint(tmp_path / "w.nrv", model, weights_only=True)
    other = TinyMLP(4, 8, 3)
    assert load_checkpoint(tmp_path / "w.nrv", other) == 0
    np.testing.assert_array_equal(
        other.fc1.weight.detach().numpy(), model.fc1.weight.detach().numpy()
    )
    save_checkpoint(tmp_path / "m.nrv", model, epoch=3)
    with pytest.raises(KeyError, match="has no optimizer state"):
        load_checkpoint(tmp_path / "m.nrv", model, TinySGD(model.parameters()))
    nerve.save([1, 2], tmp_path / "list.nrv")
    with pytest.raises(ValueError, match="not a checkpoint dict"):
        load_checkpoint(tmp_path / "list.nrv", model)
