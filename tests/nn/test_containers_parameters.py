"""ParameterList, ParameterDict and the rest of the container API, side by side with torch."""

from collections import OrderedDict

import numpy as np
import pytest
import torch

import nerve
import nerve.nn as nn


def _pair(shape):
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    return nerve.tensor(a), torch.tensor(a)


def test_parameter_list_registration_like_torch():
    (a, ta), (b, tb) = _pair((2, 3)), _pair((4,))
    pl = nn.ParameterList([nn.Parameter(a), b])
    tl = torch.nn.ParameterList([torch.nn.Parameter(ta), tb])
    for lib_list, x in ((pl, nerve.ones(1)), (tl, torch.ones(1))):
        lib_list.append(x)
        lib_list.extend([x * 2])
        lib_list += [x * 3]
    assert len(pl) == len(tl) == 5
    assert list(pl.state_dict()) == list(tl.state_dict()) == ["0", "1", "2", "3", "4"]
    assert [n for n, _ in pl.named_parameters()] == [n for n, _ in tl.named_parameters()]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in pl)
    assert pl[1] is list(pl.parameters())[1] and pl[-1] is pl[4]
    assert repr(pl) == repr(tl).replace("torch.", "nerve.")
    assert isinstance(pl[1:3], nn.ParameterList) and pl[1:3][0] is pl[1]
    pl[0] = nerve.zeros(3)
    assert isinstance(pl[0], nn.Parameter) and pl[0].shape == (3,)
    pl.append("text")
    assert len(pl) == 6 and pl[5] == "text" and len(pl.state_dict()) == 5
    assert "(5): Object of type: str" in repr(pl)


def test_parameter_list_errors_like_torch():
    pl = nn.ParameterList([nerve.ones(2)])
    with pytest.raises(IndexError, match="index 1 is out of range"):
        pl[1]
    with pytest.raises(IndexError):
        pl[-2] = nerve.ones(1)
    with pytest.raises(TypeError):
        pl["a"]
    with pytest.raises(TypeError, match="iterable"):
        nn.ParameterList(5)
    with pytest.raises(TypeError, match="cannot assign"):
        pl[0] = 3
    with pytest.raises(RuntimeError, match="should not be called"):
        pl(nerve.ones(1))


def test_parameter_list_in_a_module_to_and_zero_grad():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([nerve.ones(2, 2), nerve.ones(2)])
            self.extra = nn.ParameterDict({"b": nerve.zeros(2), "a": nerve.ones(2)})

    net = Net()
    assert list(net.state_dict()) == ["ws.0", "ws.1", "extra.a", "extra.b"]
    (net.ws[0].sum() + net.ws[1].sum() + net.extra["a"].sum()).backward()
    assert net.ws[0].grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.to(nerve.float64) is net and net.ws[0].dtype == nerve.float64
    assert net.extra["b"].dtype == nerve.float64
    net.load_state_dict({k: v.numpy() * 0 + 7 for k, v in net.state_dict().items()})
    assert float(net.ws[1].sum()) == 14.0


def test_shared_parameter_in_list_counted_once():
    p = nn.Parameter(nerve.ones(2))
    pl = nn.ParameterList([p, p])
    tp = torch.nn.Parameter(torch.ones(2))
    tl = torch.nn.ParameterList([tp, tp])
    assert len(list(pl.parameters())) == len(list(tl.parameters())) == 1
    assert list(pl.state_dict()) == list(tl.state_dict())


def test_parameter_dict_like_torch():
    def build(lib, t):
        d = lib.ParameterDict({"b": t.ones(1), "a": lib.Parameter(t.zeros(2))})
        d.update({"d": t.ones(1), "c": t.ones(3)})
        d.update(OrderedDict([("f", t.ones(1)), ("e", t.ones(1))]))
        d.update([("g", t.ones(2))])
        d["h"] = t.ones(4)
        return d

    d, td = build(nn, nerve), build(torch.nn, torch)
    assert list(d) == list(td) == ["a", "b", "c", "d", "f", "e", "g", "h"]
    assert list(d.state_dict()) == list(td.state_dict())
    assert [k for k, _ in d.items()] == list(d.keys()) == list(td.keys())
    assert repr(d) == repr(td).replace("torch.", "nerve.")
    assert isinstance(d["a"], nn.Parameter) and "a" in d and "z" not in d
    assert d.pop("a").shape == (2,) and "a" not in d and len(d) == len(td) - 1
    assert d.popitem()[0] == "h"
    assert list(reversed(d))[0] == "g"
    assert d.get("nope") is None and d.setdefault("q", nerve.ones(1)) is d["q"]
    c = d.copy()
    assert isinstance(c, nn.ParameterDict) and c["b"] is d["b"]
    merged = c | nn.ParameterDict({"z": nerve.ones(1)})
    assert list(merged)[-1] == "z" and "z" not in c
    del d["b"]
    assert "b" not in d and "b" not in d.state_dict()
    d.clear()
    assert len(d) == 0 and not list(d.parameters())
    assert [k for k in d.fromkeys(["m", "n"])] == ["m", "n"]


def test_parameter_dict_errors_like_torch():
    d = nn.ParameterDict()
    with pytest.raises(TypeError, match="not a string"):
        d[3] = nerve.ones(1)
    with pytest.raises(KeyError):
        d["a.b"] = nerve.ones(1)
    assert len(d) == 0
    with pytest.raises(AttributeError):
        d["missing"]
    with pytest.raises(ValueError, match="has length 3; 2 is required"):
        d.update([("x", 1, 2)])
    with pytest.raises(TypeError, match="iterable of key/value pairs"):
        d.update(5)


def test_sequential_slicing_arith_and_delete_like_torch():
    def build(lib):
        return lib.Sequential(
            OrderedDict([("a", lib.ReLU()), ("b", lib.Tanh()), ("c", lib.Sigmoid())])
        )

    s, t = build(nn), build(torch.nn)
    assert list(s[1:]._modules) == list(t[1:]._modules) and isinstance(s[1:], nn.Sequential)
    assert list((s + s)._modules) == list((t + t)._modules)
    assert list((s * 2)._modules) == list((t * 2)._modules) and (2 * s)[3] is s[0]
    s2, t2 = nn.Sequential(nn.ReLU()), torch.nn.Sequential(torch.nn.ReLU())
    s2 += nn.Sequential(nn.Tanh())
    t2 += torch.nn.Sequential(torch.nn.Tanh())
    s2 *= 2
    t2 *= 2
    assert repr(s2) == repr(t2)
    for bad, err in ((1.5, TypeError), (0, ValueError)):
        with pytest.raises(err):
            s * bad
    with pytest.raises(ValueError, match="only objects of Sequential"):
        s + nn.ModuleList()
    n, tn = (
        nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid()),
        torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Tanh(), torch.nn.Sigmoid()),
    )
    n.insert(-1, nn.ELU())
    tn.insert(-1, torch.nn.ELU())
    del n[0]
    del tn[0]
    assert repr(n) == repr(tn)
    assert type(n.pop(0)).__name__ == type(tn.pop(0)).__name__ and repr(n) == repr(tn)
    with pytest.raises(IndexError):
        n.insert(5, nn.ReLU())


def test_module_list_repr_groups_repeats_like_torch():
    def build(lib):
        ml = lib.ModuleList([lib.Linear(2, 2) for _ in range(3)] + [lib.ReLU()])
        ml.insert(1, lib.Tanh())
        return ml

    ml, tl = build(nn), build(torch.nn)
    assert repr(ml) == repr(tl)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())
    nested = nn.Sequential(nn.ModuleList([nn.ReLU(), nn.ReLU()]))
    tnested = torch.nn.Sequential(torch.nn.ModuleList([torch.nn.ReLU(), torch.nn.ReLU()]))
    assert repr(nested) == repr(tnested)
    assert type(ml.pop(1)).__name__ == "Tanh" and list(ml._modules) == ["0", "1", "2", "3"]


def test_named_modules_and_parameters_with_duplicates_like_torch():
    lin, tlin = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    s, t = nn.Sequential(lin, lin), torch.nn.Sequential(tlin, tlin)
    for kw in ({}, {"remove_duplicate": False}):
        assert [n for n, _ in s.named_modules(**kw)] == [n for n, _ in t.named_modules(**kw)]
        assert [n for n, _ in s.named_parameters(**kw)] == [n for n, _ in t.named_parameters(**kw)]
    assert list(s.state_dict()) == list(t.state_dict())
