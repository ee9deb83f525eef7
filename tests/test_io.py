"""nerve.save / nerve.load: round trips, atomic writes, and refusal of bad or pickled files."""

import io
import json
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import nerve
from nerve.io import LoadError
from nerve.nn.module import Module
from nerve.nn.parameter import Buffer, Parameter


class Net(Module):
    def __init__(self):
        super().__init__()
        self.weight = Parameter(nerve.randn(3, 4))
        self.bias = Parameter(nerve.zeros(3))
        self.steps = Buffer(nerve.tensor([7], dtype=nerve.int64))
        self.inner = Inner()


class Inner(Module):
    def __init__(self):
        super().__init__()
        self.scale = Parameter(nerve.randn(2, dtype=nerve.float64))


def _optimizer_state():
    """The shape of a PyTorch Adam state_dict: int keys, nested dicts, tuples, None."""
    return {
        "state": {
            0: {
                "step": nerve.tensor(3.0),
                "exp_avg": nerve.randn(3, 4),
                "exp_avg_sq": nerve.rand(3, 4),
            },
            1: {"step": nerve.tensor(3.0), "exp_avg": nerve.zeros(3), "exp_avg_sq": nerve.zeros(3)},
        },
        "param_groups": [
            {
                "lr": 1e-3,
                "betas": (0.9, 0.999),
                "eps": 1e-8,
                "weight_decay": 0,
                "amsgrad": False,
                "foreach": None,
                "params": [0, 1],
            }
        ],
    }


def _same(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, nerve.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _same(u, v)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_state_dict_round_trip(tmp_path):
    net = Net()
    sd = net.state_dict()
    path = tmp_path / "w.nerve"
    nerve.save(sd, path)
    back = nerve.load(path)
    assert isinstance(back, OrderedDict)
    assert list(back) == ["weight", "bias", "steps", "inner.scale"]
    _same(sd, back)
    fresh = Net()
    fresh.load_state_dict(back)
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), net.weight.detach().numpy())
    assert fresh.inner.scale.dtype == np.float64
    assert os.listdir(tmp_path) == ["w.nerve"]  # the exact name, no temp files left


def test_checkpoint_round_trip(tmp_path):
    net = Net()
    ckpt = {
        "model": net.state_dict(),
        "optimizer": _optimizer_state(),
        "epoch": 3,
        "best": float("nan"),
        "history": [0.5, 0.25],
        "name": "run-1",
        "done": False,
        "note": None,
        "raw": b"\x00\x01",
        "arr": np.arange(4, dtype=np.int16),
        "scalar": np.float32(2.5),
        "dtype": np.dtype("float32"),
        (1, "a"): "tuple key",
        "param": Parameter(nerve.ones(2)),
        "leaf": nerve.ones(2, requires_grad=True),
    }
    path = str(tmp_path / "ckpt.npz")
    nerve.save(ckpt, path)
    back = nerve.load(path)
    _same(ckpt, back)
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert 0 in back["optimizer"]["state"] and back["epoch"] == 3
    assert isinstance(back["param"], Parameter) and back["param"].requires_grad
    assert back["leaf"].requires_grad and not back["model"]["weight"].requires_grad


def test_file_objects_and_torch_export(tmp_path):
    buf = io.BytesIO()
    nerve.save({"x": nerve.arange(5)}, buf)
    buf.seek(0)
    assert nerve.load(buf)["x"].tolist() == [0, 1, 2, 3, 4]
    # a PyTorch state_dict exported as plain arrays loads as named Tensors
    layer = torch.nn.Linear(4, 2)
    path = tmp_path / "torch.npz"
    np.savez(path, **{k: v.detach().numpy() for k, v in layer.state_dict().items()})
    back = nerve.load(path)
    assert list(back) == ["weight", "bias"] and back["weight"].dtype == np.float32
    np.testing.assert_array_equal(back["bias"].numpy(), layer.bias.detach().numpy())


def test_atomic_write_leaves_nothing_on_error(tmp_path):
    path = tmp_path / "model.nerve"
    nerve.save({"v": nerve.ones(3)}, path)
    with pytest.raises(TypeError, match="cannot save an object of type object"):
        nerve.save({"v": nerve.zeros(3), "bad": object()}, path)
    assert os.listdir(tmp_path) == ["model.nerve"]
    np.testing.assert_array_equal(nerve.load(path)["v"].numpy(), np.ones(3))  # old file intact

    real_savez = np.savez

    def failing_savez(f, **arrays):
        f.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    np.savez = failing_savez
    try:
        with pytest.raises(OSError, match="disk full"):
            nerve.save({"v": nerve.zeros(3)}, path)
    finally:
        np.savez = real_savez
    assert os.listdir(tmp_path) == ["model.nerve"]
    np.testing.assert_array_equal(nerve.load(path)["v"].numpy(), np.ones(3))


def test_cycles_and_object_arrays_are_not_saved(tmp_path):
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="cycle"):
        nerve.save(loop, tmp_path / "a")
    with pytest.raises(TypeError, match="without pickle"):
        nerve.save({"o": np.array([{}], dtype=object)}, tmp_path / "b")


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
def test_truncated_file_raises_naming_it(tmp_path, cut):
    path = tmp_path / "t.nerve"
    nerve.save({"w": nerve.randn(50, 50), "epoch": 1}, path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(LoadError, match="t.nerve"):
        nerve.load(path)


def test_corrupt_files_raise(tmp_path):
    path = tmp_path / "c.nerve"
    nerve.save({"w": nerve.randn(20, 20)}, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a flipped bit inside the array data fails the CRC
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="c.nerve"):
        nerve.load(path)
    path.write_bytes(b"hello, not a checkpoint")
    with pytest.raises(ValueError, match="not a readable nerve file"):
        nerve.load(path)
    with pytest.raises(FileNotFoundError):
        nerve.load(tmp_path / "missing.nerve")


def _header_file(path, tree, **arrays):
    header = json.dumps({"version": 1, "tree": tree}).encode()
    np.savez(path, __nerve__=np.frombuffer(header, np.uint8), **arrays)


def test_pickled_content_is_refused(tmp_path):
    ran = []

    class Evil:
        def __reduce__(self):
            return (ran.append, ("code ran",))

    path = tmp_path / "evil.npz"
    _header_file(path, {"ndarray": "a0"}, a0=np.array([Evil()], dtype=object))
    with pytest.raises(LoadError, match="pickle"):
        nerve.load(path)
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(LoadError):
        nerve.load(raw)
    pt = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, pt)
    with pytest.raises(LoadError, match="never unpickles"):
        nerve.load(pt)
    assert ran == []


def test_malformed_header_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    _header_file(path, {"exec": "print('hi')"})
    with pytest.raises(LoadError, match="unknown entry type"):
        nerve.load(path)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__nerve__.npy", b"garbage")
    with pytest.raises(LoadError, match="m.npz"):
        nerve.load(path)


@pytest.mark.parametrize(
    "obj",
    [
        nerve.tensor(3.5),
        nerve.tensor([True, False]),
        nerve.ones(2, 3, dtype=nerve.float16),
        nerve.zeros(0, 4),
        nerve.from_numpy(np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2]),  # a strided view
        {"": [], "ü": (), "e": {}, 1.5: -2, -7: [[1], [2.0, [None]]]},
        [float("inf"), -float("inf"), 10**30, -0.0, "x" * 1000],
    ],
)
def test_edge_round_trips(tmp_path, obj):
    nerve.save(obj, tmp_path / "e")
    _same(obj, nerve.load(tmp_path / "e"))


def test_resumed_training_matches_uninterrupted(tmp_path):
    """A real model and Adam checkpoint: resuming gives the same next step."""

    def make():
        nerve.manual_seed(0)
        model = nerve.nn.Sequential(nerve.nn.Linear(4, 3), nerve.nn.Tanh(), nerve.nn.Linear(3, 2))
        return model, nerve.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99))

    def step(model, opt, x):
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()

    x = nerve.randn(6, 4)
    model, opt = make()
    for _ in range(3):
        step(model, opt, x)
    nerve.save(
        {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, tmp_path / "ckpt"
    )
    step(model, opt, x)
    ckpt = nerve.load(tmp_path / "ckpt")
    model2, opt2 = make()
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optimizer"])
    assert ckpt["epoch"] == 3 and opt2.state_dict()["param_groups"][0]["betas"] == (0.8, 0.99)
    step(model2, opt2, x)
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
