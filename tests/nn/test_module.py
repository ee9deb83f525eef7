"""nn.Module: registration, traversal, modes, gradients, state_dict, hooks, printing."""

import numpy as np
import pytest
import torch

import nerve
import nerve.nn as nn


def _build(lib):
    class Block(lib.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.Linear(3, 4)
            self.norm = lib.BatchNorm1d(4)
            self.act = lib.ReLU()
            self.register_buffer("step", torch.zeros(1) if lib is torch.nn else nerve.zeros(1))
            self.register_buffer(
                "scratch", torch.zeros(2) if lib is torch.nn else nerve.zeros(2), persistent=False
            )

        def forward(self, x):
            return self.act(self.norm(self.fc(x)))

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.head = lib.Sequential(lib.Linear(4, 2), lib.Tanh())
            self.scale = lib.Parameter(torch.ones(2) if lib is torch.nn else nerve.ones(2))

        def forward(self, x):
            return self.head(self.block(x)) * self.scale

    return Net()


def test_names_match_torch():
    m, t = _build(nn), _build(torch.nn)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in m.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in m.named_children()] == [n for n, _ in t.named_children()]
    assert list(m.state_dict()) == list(t.state_dict())
    assert "block.scratch" not in m.state_dict()
    assert len(list(m.children())) == 2 and len(list(m.modules())) == 8
    assert len(list(m.parameters(recurse=False))) == 1


def test_load_torch_state_dict_same_outputs():
    m, t = _build(nn), _build(torch.nn)
    m.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    m.eval()
    t.eval()
    np.testing.assert_allclose(
        m(nerve.tensor(x)).detach().numpy(),
        t(torch.from_numpy(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


def test_repr_matches_torch():
    assert repr(_build(nn)).replace("nerve", "torch") == repr(_build(torch.nn))


def test_state_dict_is_detached_and_shares_memory():
    m = nn.Linear(2, 2)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad
    sd["weight"].copy_(nerve.zeros(2, 2))
    assert not m.weight.detach().numpy().any()
    assert m.state_dict(keep_vars=True)["weight"] is m.weight


def test_load_state_dict_errors():
    m = nn.Linear(2, 3)
    good = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "bias"'):
        m.load_state_dict({"weight": good["weight"]})
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "extra"'):
        m.load_state_dict({**good, "extra": np.zeros(1)})
    with pytest.raises(RuntimeError, match=r"size mismatch for weight.*\(3, 3\).*\(3, 2\)"):
        m.load_state_dict({**good, "weight": np.zeros((3, 3))})
    before = m.weight.detach().numpy().copy()
    with pytest.raises(RuntimeError):  # nothing is written when any key is wrong
        m.load_state_dict({"weight": np.ones((3, 2)), "bias": np.zeros(7)})
    np.testing.assert_array_equal(m.weight.detach().numpy(), before)
    result = m.load_state_dict({"weight": np.ones((3, 2)), "extra": 1.0}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert m.weight.detach().numpy().all()
    m.load_state_dict({k: nerve.tensor(v) for k, v in good.items()})
    np.testing.assert_array_equal(m.bias.detach().numpy(), good["bias"])


def test_train_eval_propagate():
    m = _build(nn)
    assert all(x.training for x in m.modules())
    assert m.eval() is m and not any(x.training for x in m.modules())
    m.train()
    assert m.block.norm.training
    with pytest.raises(ValueError):
        m.train("yes")


def test_zero_grad_and_requires_grad():
    m = nn.Linear(3, 2)
    m(nerve.ones(4, 3)).sum().backward()
    assert isinstance(m.weight.grad, nerve.Tensor)
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is not None and not m.weight.grad.numpy().any()
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_gradient_accumulates_until_zero_grad():
    m = nn.Linear(2, 1)
    x = nerve.ones(1, 2)
    m(x).sum().backward()
    once = m.weight.grad.numpy().copy()
    m(x).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), 2 * once)


def test_shared_parameters_counted_once():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(m.parameters())) == 2
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert m.num_parameters() == 6


def test_forward_hooks_and_pre_hooks():
    m = nn.Linear(2, 2)
    seen = []
    h1 = m.register_forward_pre_hook(lambda mod, args: seen.append(("pre", args[0].shape)))
    h2 = m.register_forward_hook(lambda mod, args, out: out * 0)
    h3 = m.register_forward_hook(lambda mod, args, out: seen.append(("post", out.shape)))
    y = m(nerve.ones(3, 2))
    assert not y.detach().numpy().any() and seen == [("pre", (3, 2)), ("post", (3, 2))]
    h2.remove()
    assert m(nerve.ones(1, 2)).detach().numpy().any()
    h1.remove()
    h3.remove()
    seen.clear()
    m(nerve.ones(1, 2))
    assert not seen
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    np.testing.assert_allclose(m(nerve.ones(1, 2)).detach().numpy(), m.bias.detach().numpy()[None])


def test_same_hook_twice_removed_independently():
    m = nn.Identity()
    calls = []

    def hook(mod, args, out):
        calls.append(1)

    a = m.register_forward_hook(hook)
    m.register_forward_hook(hook)
    a.remove()
    m(nerve.ones(1))
    assert calls == [1]


def test_registration_errors():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError):
        m.weight = nerve.ones(2, 2)  # a plain Tensor cannot replace a Parameter
    with pytest.raises(KeyError):
        m.add_module("a.b", nn.ReLU())
    with pytest.raises(TypeError):
        m.register_buffer("buf", [1, 2])
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        getattr(m, "nothing")  # noqa: B009

    class Early(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_delattr_get_submodule_apply_and_dtype():
    m = _build(nn)
    assert m.get_submodule("block.fc") is m.block.fc
    assert m.get_parameter("head.0.bias") is m.head[0].bias
    del m.block.act
    assert "act" not in dict(m.block.named_children())
    names = []
    m.apply(lambda mod: names.append(type(mod).__name__))
    assert names[-1] == "Net"
    m.double()
    assert all(p.dtype == nerve.float64 for p in m.parameters())
    assert m.block.norm.num_batches_tracked.dtype == nerve.int64
    m.to(nerve.float32)
    assert m.block.fc.weight.dtype == nerve.float32


def test_summary_lists_parameter_counts():
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    text = m.summary()
    assert "Linear" in text and "16" in text and "10" in text
    assert text.strip().splitlines()[-1].split()[-1] == "26"
    assert m.num_parameters() == 26


def test_missing_forward():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(nerve.ones(1))


def test_register_existing_attribute_raises_key_error():
    m = nn.Linear(2, 2)
    for register in (
        lambda: m.add_module("weight", nn.ReLU()),
        lambda: m.register_buffer("in_features", nerve.zeros(1)),
        lambda: m.register_parameter("training", nn.Parameter(nerve.zeros(1))),
    ):
        with pytest.raises(KeyError, match="already exists"):
            register()
    m.register_buffer("extra", nerve.zeros(1))
    m.register_buffer("extra", nerve.ones(1))  # re-registering the same buffer is fine
    assert m.extra.numpy()[0] == 1
