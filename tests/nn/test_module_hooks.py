"""Module hooks (forward, pre-forward, full backward and backward pre-hooks) and the rest
of Module's API, side by side with torch."""

import numpy as np
import pytest
import torch
from layercheck import load_from_torch

import nerve
import nerve.nn as nn


def _linear_pair(seed=0):
    m, t = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    load_from_torch(m, t)
    x = np.random.default_rng(seed).standard_normal((4, 3)).astype(np.float32)
    return m, t, x


def _shapes(gs):
    return [None if g is None else tuple(g.shape) for g in gs]


def test_full_backward_hook_sees_torchs_gradients():
    m, t, x = _linear_pair()
    seen, tseen = [], []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go)))
    t.register_full_backward_hook(lambda mod, gi, go: tseen.append((gi, go)))
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (m(xn) ** 2).sum().backward()
    (t(xt) ** 2).sum().backward()
    assert len(seen) == len(tseen) == 1
    (gi, go), (tgi, tgo) = seen[0], tseen[0]
    assert _shapes(gi) == _shapes(tgi) and _shapes(go) == _shapes(tgo)
    assert isinstance(gi[0], nerve.Tensor)
    np.testing.assert_allclose(gi[0].numpy(), tgi[0].numpy(), rtol=1e-5)
    np.testing.assert_allclose(go[0].numpy(), tgo[0].numpy(), rtol=1e-5)


def test_backward_hook_replaces_grad_input_and_pre_hook_grad_output():
    m, t, x = _linear_pair()
    for mod in (m, t):
        mod.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
        mod.register_full_backward_hook(lambda mod, gi, go: (gi[0] + 1,))
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    m(xn).sum().backward()
    t(xt).sum().backward()
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-5)
    # the pre-hook's doubled output gradient reaches the parameters too
    np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5)


def test_backward_hook_without_input_gradients_fires_on_outputs():
    m, t, x = _linear_pair()
    seen = []
    h = m.register_full_backward_hook(lambda mod, gi, go: seen.append(_shapes(gi + go)))
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        m(nerve.tensor(x)).sum().backward()
    assert seen == [[None, (4, 2)]]
    h.remove()
    m(nerve.tensor(x)).sum().backward()
    assert len(seen) == 1 and not m._backward_hooks


def test_backward_hook_with_two_inputs_and_two_outputs():
    class Two(nn.Module):
        def forward(self, a, b):
            return a * b, a + b

    seen = []
    two = Two()
    two.register_full_backward_hook(lambda mod, gi, go: seen.append((_shapes(gi), _shapes(go))))
    a, b = nerve.randn(2, requires_grad=True), nerve.randn(2, requires_grad=True)
    y, _ = two(a, b)
    y.sum().backward()
    assert seen == [([(2,), (2,)], [(2,), None])]
    np.testing.assert_allclose(a.grad.numpy(), b.detach().numpy())


def test_backward_hooks_off_under_no_grad_and_in_sequential():
    m = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))
    order = []
    for i, layer in enumerate(m):
        layer.register_full_backward_hook(lambda mod, gi, go, i=i: order.append(i))
    with nerve.no_grad():
        m(nerve.randn(2, 3))
    assert order == []
    m(nerve.randn(2, 3, requires_grad=True)).sum().backward()
    assert order == [2, 1, 0]


def _hooked_call_log(lib) -> list:
    class Mul(lib.nn.Module):
        def forward(self, a, b=1):
            if b == 0:
                raise ValueError("boom")
            return a * b

    log = []
    m = Mul()
    m.register_forward_pre_hook(lambda mod, args, kw: (args, {"b": kw["b"] + 1}), with_kwargs=True)
    m.register_forward_hook(
        lambda mod, args, kw, out: log.append(("kw", kw["b"])), with_kwargs=True
    )
    m.register_forward_hook(lambda mod, args, out: log.append("first"), prepend=True)
    log.append(float(m(lib.ones(1), b=2).sum()))
    h = m.register_forward_hook(
        lambda mod, args, out: log.append(("always", out)), always_call=True
    )
    with pytest.raises(ValueError):
        m(lib.ones(1), b=-1)
    h.remove()
    return log


def test_forward_hooks_kwargs_prepend_and_always_call_like_torch():
    assert (
        _hooked_call_log(nerve)
        == _hooked_call_log(torch)
        == ["first", ("kw", 3), 3.0, ("always", None)]
    )


def test_pre_hook_with_kwargs_must_return_a_pair():
    m = nn.ReLU()
    m.register_forward_pre_hook(lambda mod, args, kw: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match="tuple of \\(new_args, new_kwargs\\)"):
        m(nerve.ones(1))


def test_handle_as_context_manager():
    m = nn.ReLU()
    with m.register_forward_hook(lambda mod, a, out: out + 1):
        assert float(m(nerve.zeros(1)).sum()) == 1.0
    assert float(m(nerve.zeros(1)).sum()) == 0.0 and not m._hook_flags


def test_lookups_and_their_errors_like_torch():
    class B:
        def __init__(self, lib):
            class Block(lib.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = lib.nn.Linear(2, 2)
                    self.register_buffer("rb", lib.ones(1))
                    self.x = 3

            self.m = lib.nn.Sequential(Block())

    m, t = B(nerve).m, B(torch).m
    assert m.get_submodule("0.fc") is m[0].fc and m.get_submodule("") is m
    assert m.get_parameter("0.fc.bias") is m[0].fc.bias
    assert m.get_buffer("0.rb") is m[0].rb
    for call in (
        lambda s: s.get_submodule("0.fc.weight"),
        lambda s: s.get_submodule("5"),
        lambda s: s.get_parameter("0.fc.foo"),
        lambda s: s.get_parameter("0.rb"),
        lambda s: s.get_parameter("0.x"),
        lambda s: s.get_buffer("0.x"),
        lambda s: s.get_parameter("0.fc"),
    ):
        with pytest.raises(AttributeError) as err:
            call(m)
        with pytest.raises(AttributeError) as terr:
            call(t)
        assert str(err.value) == str(terr.value)


def test_load_state_dict_result_and_errors_like_torch():
    m, t = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    r = m.load_state_dict({"weight": np.ones((3, 2)), "extra": np.ones(1)}, strict=False)
    tr = t.load_state_dict({"weight": torch.ones(3, 2), "extra": torch.ones(1)}, strict=False)
    assert r == tr and repr(r) == repr(tr) and r.missing_keys == ["bias"]
    ok = m.load_state_dict({k: v.numpy() for k, v in m.state_dict().items()})
    assert repr(ok) == repr(t.load_state_dict(t.state_dict())) == "<All keys matched successfully>"
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict({"weight": np.ones((2, 2)), "extra": np.ones(1)})
    with pytest.raises(RuntimeError) as terr:
        t.load_state_dict({"weight": torch.ones(2, 2), "extra": torch.ones(1)})
    lines, tlines = str(err.value).split("\n"), str(terr.value).split("\n")
    assert lines[:3] == tlines[:3]  # the header, missing and unexpected keys
    assert lines[3].startswith("\tsize mismatch for weight") and len(lines) == len(tlines)
    with pytest.raises(RuntimeError, match="size mismatch for bias"):
        m.load_state_dict({"bias": np.ones(4)}, strict=False)


def test_modes_gradients_and_apply_like_torch():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    assert m.train() is m and m.eval() is m and not m[1][0].training
    assert m.requires_grad_(False) is m and not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    m(nerve.ones(1, 2)).sum().backward()
    grad = m[0].weight.grad
    m.zero_grad(set_to_none=False)
    assert m[0].weight.grad is grad and not grad.numpy().any()  # zeroed in place
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    names, tnames = [], []
    m.apply(lambda mod: names.append(type(mod).__name__))
    tm = torch.nn.Sequential(
        torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 1))
    )
    tm.apply(lambda mod: tnames.append(type(mod).__name__))
    assert names == tnames
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in tm.named_buffers()]
