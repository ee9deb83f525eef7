"""nn.RNN / LSTM / GRU on "cuda" beyond the layer twins: padded lengths, packed input,
two layers both ways and the per-step gradient norms give the CPU's values, with the
lengths on the host (as PyTorch) and a device lengths tensor refused."""

import numpy as np
import pytest

import nerve
from nerve import nn
from nerve.nn.utils.rnn import pack_padded_sequence

RNG = np.random.default_rng(1)
X = RNG.standard_normal((5, 3, 4)).astype(np.float32)  # (T, B, I)
LENGTHS = [5, 2, 4]


def _layer(cls, device, **kw):
    nerve.manual_seed(0)
    return cls(4, 6, **kw).to(device)


def _run(cls, device, packed=False, **kw):
    layer = _layer(cls, device, **kw)
    layer.record_grad_norms = True
    x = nerve.tensor(X, device=device, requires_grad=True)
    if packed:
        out, _ = layer(pack_padded_sequence(x, LENGTHS, enforce_sorted=False))
        y = out.data
    else:
        y, _ = layer(x, lengths=LENGTHS)
    (y * y).sum().backward()
    grads = [p.grad.cpu().numpy() for p in layer.parameters()]
    norms = [n.get() if hasattr(n, "get") else n for sink in layer.grad_norms for n in sink]
    return y.detach().cpu().numpy(), x.grad.cpu().numpy(), grads, norms


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("packed", [False, True])
def test_lengths_and_packing_on_device_as_on_cpu(cls, packed):
    kw = {"num_layers": 2, "bidirectional": True}
    want = _run(cls, "cpu", packed, **kw)
    got = _run(cls, "cuda", packed, **kw)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-4, atol=1e-5)
    for g, w in zip(got[2], want[2]):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)
    assert len(got[3]) == len(want[3]) == 4
    for g, w in zip(got[3], want[3]):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6)


def test_lstm_projection_on_device_as_on_cpu():
    def run(device):
        layer = _layer(nn.LSTM, device, proj_size=3)
        x = nerve.tensor(X, device=device, requires_grad=True)
        y, (h, c) = layer(x, lengths=LENGTHS)
        (y.sum() + h.sum() + c.sum()).backward()
        grads = [x.grad, layer.weight_hr_l0.grad]
        return [y.detach().cpu().numpy()] + [g.cpu().numpy() for g in grads]

    for g, w in zip(run("cuda"), run("cpu")):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def test_device_lengths_are_refused():
    layer = _layer(nn.GRU, "cuda")
    x = nerve.tensor(X, device="cuda")
    with pytest.raises(RuntimeError, match="GRU: 'lengths' argument should be a 1D CPU int64"):
        layer(x, lengths=nerve.tensor(LENGTHS, device="cuda"))
