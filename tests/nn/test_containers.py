"""Sequential, ModuleList, ModuleDict: registration, indexing, keys as PyTorch's."""

from collections import OrderedDict

import numpy as np
import pytest
import torch
from layercheck import twin_check

import nerve
import nerve.nn as nn


def _mlp(lib):
    return lib.Sequential(
        lib.Linear(4, 8),
        lib.ReLU(),
        lib.BatchNorm1d(8),
        lib.Dropout(0.0),
        lib.Linear(8, 3),
        lib.Tanh(),
    )


@pytest.mark.parametrize("train", [True, False])
def test_mlp_against_torch(train):
    twin_check(_mlp(nn), _mlp(torch.nn), (6, 4), train=train)


def test_state_dict_keys_match_torch():
    m, t = _mlp(nn), _mlp(torch.nn)
    assert list(m.state_dict()) == list(t.state_dict())
    assert "2.num_batches_tracked" in m.state_dict()
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert repr(m) == repr(t)


def test_ordered_dict_names():
    def build(lib):
        return lib.Sequential(
            OrderedDict([("fc", lib.Linear(2, 3)), ("act", lib.ReLU()), ("out", lib.Linear(3, 1))])
        )

    m, t = build(nn), build(torch.nn)
    assert (
        list(m.state_dict())
        == list(t.state_dict())
        == ["fc.weight", "fc.bias", "out.weight", "out.bias"]
    )
    assert m.fc is m[0] and repr(m) == repr(t)
    twin_check(m, t, (5, 2))


def test_sequential_indexing_slicing_len_append():
    layers = [nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)]
    m = nn.Sequential(*layers)
    assert len(m) == 3 and m[0] is layers[0] and m[-1] is layers[2]
    assert list(m) == layers
    head = m[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    assert list(head._modules) == ["0", "1"]
    with pytest.raises(IndexError):
        m[3]
    m.append(nn.Tanh())
    assert len(m) == 4 and list(m.state_dict())[-1] == "2.bias"
    del m[1]
    assert list(m._modules) == ["0", "1", "2"] and isinstance(m[1], nn.Linear)
    m[2] = nn.Sigmoid()
    assert isinstance(m[2], nn.Sigmoid)
    x = nerve.randn(3, 2)
    np.testing.assert_allclose(m(x).detach().numpy(), m[2](m[1](m[0](x))).detach().numpy())
    with pytest.raises(TypeError):
        m.append("not a module")


def test_sequential_add_insert_extend_pop():
    a, b = nn.Sequential(nn.ReLU()), nn.Sequential(nn.Tanh())
    c = a + b
    assert len(c) == 2 and isinstance(c[1], nn.Tanh)
    c.insert(0, nn.Sigmoid())
    assert [type(x).__name__ for x in c] == ["Sigmoid", "ReLU", "Tanh"]
    c.extend([nn.Identity()])
    assert isinstance(c.pop(1), nn.ReLU) and len(c) == 3


def test_empty_sequential_is_identity():
    x = nerve.randn(2)
    assert nn.Sequential()(x) is x


def test_module_list():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    tl = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    assert list(ml.state_dict()) == list(tl.state_dict())
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml += [nn.Sigmoid()]
    assert len(ml) == 6 and isinstance(ml[-1], nn.Sigmoid)
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    del ml[0]
    assert list(ml._modules) == [str(i) for i in range(5)]
    ml.insert(1, nn.Identity())
    assert isinstance(ml[1], nn.Identity)
    with pytest.raises(NotImplementedError):
        ml(nerve.ones(1))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 1)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    net = Net()
    assert list(net.state_dict()) == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
    ]
    assert net(nerve.ones(2, 3)).shape == (2, 1)


def test_module_dict():
    md = nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.ReLU()})
    assert list(md.keys()) == ["a", "b"] and "a" in md and len(md) == 2
    md["c"] = nn.Linear(3, 1)
    assert list(md.state_dict()) == ["a.weight", "a.bias", "c.weight", "c.bias"]
    assert isinstance(md.pop("b"), nn.ReLU) and list(md) == ["a", "c"]
    md.update([("d", nn.Tanh())])
    assert [k for k, _ in md.items()] == ["a", "c", "d"]
    assert all(isinstance(v, nn.Module) for v in md.values())
    with pytest.raises(KeyError):
        md["zzz"]
    md.clear()
    assert len(md) == 0
