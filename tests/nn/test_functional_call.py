"""nerve.func.functional_call / nn.utils.stateless.functional_call against torch.func's:
replaced tensors, gradients to the given tensors, tied weights, strict keys, restoring
the module even when the call raises."""

import numpy as np
import pytest
import torch
import torch.nn.utils.parametrizations as TP
from torch.func import functional_call as tcall

import nerve
import nerve.nn as nn
import nerve.nn.utils.parametrizations as P
from nerve.func import functional_call
from tests.nn.layercheck import load_from_torch


def _net():
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2))
    tm = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh(), torch.nn.Linear(4, 2)
    )
    load_from_torch(m, tm)
    return m, tm


def test_functional_call_values_and_gradients():
    m, tm = _net()
    rng = np.random.default_rng(0)
    new = {
        "0.weight": rng.standard_normal((4, 3)),
        "3.bias": rng.standard_normal(2),
        "1.running_mean": rng.standard_normal(4),
    }
    grad = {k: "running" not in k for k in new}
    params = {k: nerve.tensor(v.astype(np.float32), requires_grad=grad[k]) for k, v in new.items()}
    tparams = {k: torch.tensor(v.astype(np.float32), requires_grad=grad[k]) for k, v in new.items()}
    m.eval()
    tm.eval()
    x = rng.standard_normal((5, 3)).astype(np.float32)
    before = {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}
    y = functional_call(m, params, (nerve.tensor(x),))
    yt = tcall(tm, tparams, (torch.tensor(x),))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    (y**2).sum().backward()
    (yt**2).sum().backward()
    for k in ("0.weight", "3.bias"):
        np.testing.assert_allclose(
            params[k].grad.numpy(), tparams[k].grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=k
        )
    assert m[0].weight.grad is None and m[3].bias.grad is None
    assert m[0].bias.grad is not None  # the module's own tensors still used where not given
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    assert isinstance(m[0].weight, nn.Parameter)


def test_args_forms_and_kwargs():
    m = nn.Linear(2, 2)
    w = nerve.zeros(2, 2)
    x = nerve.ones(1, 2)
    a = functional_call(m, {"weight": w}, x)
    b = functional_call(m, {"weight": w}, (x,))
    c = functional_call(m, {"weight": w}, kwargs={"input": x})
    d = nn.utils.stateless.functional_call(m, [{"weight": w}, {"bias": nerve.zeros(2)}], x)
    np.testing.assert_allclose(a.detach().numpy(), m.bias.detach().numpy()[None])
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    np.testing.assert_array_equal(a.detach().numpy(), c.detach().numpy())
    np.testing.assert_array_equal(d.detach().numpy(), np.zeros((1, 2)))


def test_errors_as_torch():
    m = nn.Linear(2, 2)
    w, x = nerve.zeros(2, 2), nerve.ones(1, 2)
    with pytest.raises(RuntimeError) as e:
        functional_call(m, {"weight": w, "foo": w}, x, strict=True)
    assert str(e.value) == (
        "Error(s) in reparametrizing for Linear:\n\tUnexpected key(s): "
        "'foo'.\n\tMissing key(s): 'bias'."
    )
    functional_call(m, {"weight": w, "foo": w}, x)  # not strict: an extra key is harmless
    assert not hasattr(m, "foo")
    with pytest.raises(ValueError, match=r"\['weight'\] appeared in multiple dictionaries"):
        functional_call(m, [{"weight": w}, {"weight": w}], x)
    with pytest.raises(AttributeError, match="Linear has no attribute `foo`"):
        functional_call(m, {"foo.bar": w}, x)


def test_restores_on_error():
    m = nn.Linear(2, 2)
    w0 = m.weight

    def boom(x):
        raise ValueError("boom")

    m.forward = boom
    with pytest.raises(ValueError, match="boom"):
        functional_call(
            m, {"weight": nerve.zeros(2, 2), "new_buffer": nerve.zeros(1)}, nerve.ones(1, 2)
        )
    assert m.weight is w0 and m._parameters["weight"] is w0
    assert not hasattr(m, "new_buffer")


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(2, 2), nn.Linear(2, 2)
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(self.a(x))


class TTied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(self.a(x))


@pytest.mark.parametrize("tie", [True, False])
def test_tied_weights(tie):
    m, tm = Tied(), TTied()
    load_from_torch(m, tm)
    w = np.arange(4, dtype=np.float32).reshape(2, 2)
    x = np.ones((1, 2), np.float32)
    y = functional_call(m, {"a.weight": nerve.tensor(w)}, nerve.tensor(x), tie_weights=tie)
    yt = tcall(tm, {"a.weight": torch.tensor(w)}, torch.tensor(x), tie_weights=tie)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-6)
    if tie:
        with pytest.raises(ValueError, match="which are tied"):
            functional_call(
                m, {"a.weight": nerve.tensor(w), "b.weight": nerve.tensor(w)}, nerve.tensor(x)
            )


def test_parametrized_module():
    m, tm = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    P.weight_norm(m)
    TP.weight_norm(tm)
    load_from_torch(m, tm)
    w = 3 * np.eye(2, dtype=np.float32)
    x = np.ones((1, 2), np.float32)
    y = functional_call(m, {"weight": nerve.tensor(w)}, nerve.tensor(x))
    yt = tcall(tm, {"weight": torch.tensor(w)}, torch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-6)
    key = "parametrizations.weight.original1"
    y = functional_call(m, {key: nerve.tensor(w)}, nerve.tensor(x))
    yt = tcall(tm, {key: torch.tensor(w)}, torch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(m.weight.detach().numpy(), tm.weight.detach().numpy(), rtol=1e-6)
