"""The fused Elman RNN op, checked by finite differences and against torch.nn.RNN
(its real kernel, called with our tensors as parameters through functional_call).
The torch twins here are shared with test_recurrent_lstm.py and test_recurrent_gru.py."""

import numpy as np
import pytest
import torch
from opcheck import Case, table_tests
from torch.func import functional_call

import nerve
from nerve.ops.nn.recurrent import rnn_cell, rnn_sequence

NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
LENGTHS = np.array([4, 1, 3])


def _reverse_index(nt, lengths):
    """(T, B) time index that reverses each sequence inside its length."""
    return np.stack([np.r_[np.arange(n)[::-1], np.arange(n, nt)] for n in lengths], 1)


def _time_gather(a, index):
    idx = torch.from_numpy(index)[:, :, None].expand(-1, -1, a.shape[-1])
    return torch.gather(a, 0, idx)


def torch_layer(kind, x, states, weights, reverse=False, lengths=None, **kw):
    """One direction of torch's nn.RNN/LSTM/GRU with the given tensors as its parameters,
    x (T, B, I); reverse runs each sequence back to front as PyTorch's backward direction."""
    nt, _, ni = x.shape
    nh = weights[1].shape[1]
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    module = cls(ni, nh, bias=len(weights) == 4, **kw).to(x.dtype)
    params = dict(zip(NAMES, weights))
    if lengths is None:
        lengths = np.full(x.shape[1], nt)
    index = _reverse_index(nt, lengths)
    xin = _time_gather(x, index) if reverse else x
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        xin, torch.from_numpy(lengths), enforce_sorted=False
    )
    hx = tuple(s[None] for s in states) if kind == "lstm" else states[0][None]
    y, h = functional_call(module, params, (packed, hx))
    y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, total_length=nt)
    y = _time_gather(y, index) if reverse else y
    return (y,) + (tuple(s[0] for s in h) if kind == "lstm" else (h[0],))


def rnn_case(
    name,
    nonlinearity="tanh",
    nt=4,
    nb=3,
    ni=2,
    nh=3,
    bias=True,
    reverse=False,
    lengths=None,
    h0=True,
):
    def fn(x, h, *w):
        return rnn_sequence(
            x, h if h0 else None, *w, nonlinearity=nonlinearity, reverse=reverse, lengths=lengths
        )

    def tfn(x, h, *w):
        h = h if h0 else torch.zeros_like(h)
        return torch_layer("rnn", x, (h,), w, reverse, lengths, nonlinearity=nonlinearity)

    shapes = [(nt, nb, ni), (nb, nh), (nh, ni), (nh, nh)] + ([(nh,), (nh,)] if bias else [])
    return Case(name, fn, tfn, shapes)


def _relu_safe():
    # relu kinks make finite differences fail; shift pre-activations away from 0
    rng = np.random.default_rng(3)
    return [
        rng.standard_normal((3, 2, 2)),
        rng.standard_normal((2, 3)) + 2,
        rng.standard_normal((3, 2)) * 0.3,
        rng.standard_normal((3, 3)) * 0.3,
        np.full(3, 1.5),
        np.full(3, 1.0),
    ]


CASES = [
    rnn_case("RNNFn/tanh"),
    rnn_case("RNNFn/relu", nonlinearity="relu"),
    Case(
        "RNNFn/relu-positive",
        lambda x, h, *w: rnn_sequence(x, h, *w, nonlinearity="relu"),
        lambda x, h, *w: torch_layer("rnn", x, (h,), w, nonlinearity="relu"),
        _relu_safe(),
    ),
    rnn_case("RNNFn/no-bias", bias=False),
    rnn_case("RNNFn/reverse", reverse=True),
    rnn_case("RNNFn/no-h0", h0=False),
    rnn_case("RNNFn/lengths", lengths=LENGTHS),
    rnn_case("RNNFn/reverse-lengths", reverse=True, lengths=LENGTHS),
    rnn_case("RNNFn/one-step", nt=1, nb=1),
    Case(
        "RNNFn/cell",
        lambda x, h, *w: rnn_cell(x, h, *w),
        lambda x, h, *w: torch.rnn_tanh_cell(x, h, *w),
        [(2, 3), (2, 4), (4, 3), (4, 4), (4,), (4,)],
    ),
]
# relu with random inputs may sit on a kink where finite differences are meaningless;
# "relu-positive" gradchecks relu away from the kinks
CASES[1].gradcheck = False


table_tests(CASES)


def test_padded_steps_get_no_gradient_and_keep_state():
    rng = np.random.default_rng(0)
    x = nerve.tensor(rng.standard_normal((5, 2, 3)).astype(np.float32), requires_grad=True)
    w = [
        nerve.tensor(rng.standard_normal(s).astype(np.float32) * 0.5, requires_grad=True)
        for s in [(4, 3), (4, 4), (4,), (4,)]
    ]
    y, h = rnn_sequence(x, None, *w, lengths=np.array([2, 5]))
    full_y, full_h = rnn_sequence(x[:2, :1], None, *w)
    np.testing.assert_allclose(h.detach().numpy()[0], full_h.detach().numpy()[0], rtol=1e-6)
    assert not np.any(y.detach().numpy()[2:, 0])
    (y.sum() + h.sum()).backward()
    assert not np.any(x.grad.numpy()[2:, 0]) and np.all(x.grad.numpy()[:2, 0] != 0)


def test_grad_norms_recorded_per_step():
    rng = np.random.default_rng(0)
    x = nerve.tensor(rng.standard_normal((6, 2, 3)), requires_grad=True)
    w = [
        nerve.tensor(rng.standard_normal(s), requires_grad=True)
        for s in [(4, 3), (4, 4), (4,), (4,)]
    ]
    norms = []
    y, _ = rnn_sequence(x, None, *w, grad_norms=norms)
    dy = rng.standard_normal((6, 2, 4))
    (y * nerve.tensor(dy)).sum().backward()
    # reference: the total ∂L/∂hₜ by autograd on a torch unroll
    tx = torch.tensor(x.detach().numpy())
    tw = [torch.tensor(p.detach().numpy(), requires_grad=True) for p in w]
    hs, h = [], torch.zeros(2, 4, dtype=torch.float64)
    for t in range(6):
        h = torch.tanh(tx[t] @ tw[0].T + tw[2] + h @ tw[1].T + tw[3])
        h.retain_grad()
        hs.append(h)
    (torch.stack(hs) * torch.tensor(dy)).sum().backward()
    want = [float(h.grad.norm()) for h in hs]
    assert len(norms) == 1 and norms[0].shape == (6,)
    np.testing.assert_allclose(norms[0], want, rtol=1e-10)


def test_bad_shapes_raise_runtime_error():
    x = nerve.zeros(3, 2, 5)
    w = [nerve.zeros(4, 3), nerve.zeros(4, 4)]
    with pytest.raises(RuntimeError, match="input size 5"):
        rnn_sequence(x, None, *w)
    with pytest.raises(RuntimeError, match=r"hx of shape \(2, 4\)"):
        rnn_sequence(nerve.zeros(3, 2, 3), nerve.zeros(1, 4), *w)
    with pytest.raises(RuntimeError, match="lengths"):
        rnn_sequence(nerve.zeros(3, 2, 3), None, *w, lengths=np.array([4, 1]))


def test_unknown_nonlinearity():
    with pytest.raises((RuntimeError, ValueError), match="nonlinearity"):
        rnn_sequence(
            nerve.zeros(1, 1, 1), None, nerve.zeros(1, 1), nerve.zeros(1, 1), nonlinearity="gelu"
        )
