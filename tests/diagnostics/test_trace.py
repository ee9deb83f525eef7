"""The backprop trace: the worked example's numbers, checked against PyTorch."""

import numpy as np
import pytest
import torch

import nerve
import nerve.nn.functional as F
from nerve import nn
from nerve.autograd import function
from nerve.diagnostics import backprop_trace
from nerve.diagnostics.labs.lecture import squared_error, textbook_network


def _torch_grads():
    net, x, t = textbook_network()
    tnet = torch.nn.Sequential(
        torch.nn.Linear(2, 2), torch.nn.Sigmoid(), torch.nn.Linear(2, 2), torch.nn.Sigmoid()
    ).double()
    with torch.no_grad():
        for (_, p), (_, q) in zip(net.named_parameters(), tnet.named_parameters()):
            q.copy_(torch.from_numpy(p.detach().numpy()))
    loss = 0.5 * ((tnet(torch.from_numpy(x.numpy())) - torch.from_numpy(t.numpy())) ** 2).sum()
    loss.backward()
    return loss.item(), {n: q.grad.numpy() for n, q in tnet.named_parameters()}


def test_worked_example_matches_torch_and_the_lecture():
    net, x, t = textbook_network()
    with backprop_trace(net) as tracer:
        loss = squared_error(net, x, t)
    trace = tracer.backward(loss)
    torch_loss, torch_grads = _torch_grads()
    assert loss.item() == pytest.approx(torch_loss, rel=1e-12)
    assert loss.item() == pytest.approx(0.298371109, abs=1e-8)  # the textbook value (rounded)
    for name, p in net.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), torch_grads[name], rtol=1e-10)
    assert net[2].weight.grad.numpy()[0, 0] == pytest.approx(0.082167041, abs=2e-9)  # 9 digits
    # backward order: the loss first, the first layer last
    assert [r.step for r in trace.rows] == list(range(1, len(trace.rows) + 1))
    assert trace.rows[0].node.startswith("Mul") and trace.rows[-1].layer == "0 (Linear)"
    out = trace.row("Sigmoid#4")
    y = out.value
    np.testing.assert_allclose(out.inputs[0].local, y * (1 - y), rtol=1e-12)  # σ' = σ(1-σ)
    np.testing.assert_allclose(out.inputs[0].grad, out.upstream * y * (1 - y), rtol=1e-12)
    first = trace.rows[-1]
    weight = next(i for i in first.inputs if i.label == "0.weight")
    np.testing.assert_allclose(weight.accumulated, torch_grads["0.weight"], rtol=1e-10)


def test_table_lists_every_node_and_parameter():
    net, x, t = textbook_network()
    with backprop_trace(net) as tracer:
        loss = squared_error(net, x, t)
    table = str(tracer.backward(loss))
    lines = table.splitlines()
    assert "forward value" in lines[0] and "upstream" in lines[0] and "local" in lines[0]
    for node in ("Sigmoid#4", "Sigmoid#2", "2.weight", "0.bias", "(.grad"):
        assert node in table
    assert "0.7514" in table and "0.5933" in table  # the outputs o1 and h1
    with pytest.raises(KeyError, match="no node 'Tanh#1'"):
        nerve.diagnostics.BackpropTrace([]).row("Tanh#1")


def test_gradients_accumulate_like_backward():
    nerve.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    x = nerve.randn(5, 3)
    F.mse_loss(net(x), nerve.zeros(5, 1)).backward()
    expected = {n: p.grad.numpy().copy() for n, p in net.named_parameters()}
    net.zero_grad()
    with backprop_trace(net) as tracer:
        loss = F.mse_loss(net(x), nerve.zeros(5, 1))
    tracer.backward(loss)
    for n, p in net.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), expected[n], rtol=1e-6)
    assert function._observer is None


def test_needs_a_traced_loss():
    with backprop_trace() as tracer:
        pass
    with pytest.raises(RuntimeError, match="expected the loss Tensor"):
        tracer.backward(nerve.tensor(1.0))


def test_trace_after_in_place_op_gives_the_true_gradients():
    import nerve

    w = nerve.tensor([0.5, -2.0, 1.5], requires_grad=True)
    ref = nerve.tensor([0.5, -2.0, 1.5], requires_grad=True)
    with backprop_trace() as tr:
        y = w * 2
        s = y * 3  # recorded before y is rebound
        y.relu_()
        loss = (s + y).sum()
    tr.backward(loss)
    expected = (ref * 2 * 3 + (ref * 2).relu()).sum()
    expected.backward()
    np.testing.assert_allclose(w.grad.numpy(), ref.grad.numpy())
