"""The fused LSTM op with a projection (PyTorch's proj_size) against finite differences
and torch.nn.LSTM(proj_size=...) called with our tensors as its parameters."""

import numpy as np
import pytest
import torch
from opcheck import Case, table_tests
from test_recurrent import LENGTHS, _reverse_index, _time_gather
from torch.func import functional_call

import nerve
from nerve.ops.nn.recurrent_lstm import lstm_sequence

# torch warns that its oneDNN kernel has no projections (it falls back to its own)
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections")

LENGTHS9 = np.array([5, 1, 3, 4, 2, 5, 1, 2, 3])
NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0")


def torch_proj(x, h, c, weights, reverse=False, lengths=None):
    """One direction of torch's nn.LSTM(proj_size=P) on x (T, B, I) with ``weights``
    (w_ih, w_hh[, b_ih, b_hh], w_hr) as its parameters; reverse runs each sequence back
    to front inside its length, as PyTorch's backward direction."""
    nt, nb, ni = x.shape
    npr, nh = weights[-1].shape
    bias = len(weights) == 5
    module = torch.nn.LSTM(ni, nh, bias=bias, proj_size=npr).to(x.dtype)
    names = NAMES if bias else (NAMES[0], NAMES[1], NAMES[4])
    lengths = np.full(nb, nt) if lengths is None else lengths
    index = _reverse_index(nt, lengths)
    xin = _time_gather(x, index) if reverse else x
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        xin, torch.from_numpy(lengths), enforce_sorted=False
    )
    y, (hn, cn) = functional_call(module, dict(zip(names, weights)), (packed, (h[None], c[None])))
    y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, total_length=nt)
    y = _time_gather(y, index) if reverse else y
    return y, hn[0], cn[0]


def proj_case(
    name,
    nt=4,
    nb=3,
    ni=2,
    nh=4,
    npr=2,
    bias=True,
    reverse=False,
    lengths=None,
    h0=True,
    batch_first=False,
    **kw,
):
    def fn(x, h, c, *w):
        *w, w_hr = w
        return lstm_sequence(
            x,
            h if h0 else None,
            c if h0 else None,
            *w,
            weight_hr=w_hr,
            reverse=reverse,
            lengths=lengths,
            batch_first=batch_first,
        )

    def tfn(x, h, c, *w):
        if not h0:
            h, c = torch.zeros_like(h), torch.zeros_like(c)
        if batch_first:
            y, hn, cn = torch_proj(x.transpose(0, 1), h, c, w, reverse, lengths)
            return y.transpose(0, 1), hn, cn
        return torch_proj(x, h, c, w, reverse, lengths)

    g = 4 * nh
    shapes = (
        [(nb, nt, ni) if batch_first else (nt, nb, ni), (nb, npr), (nb, nh), (g, ni), (g, npr)]
        + ([(g,), (g,)] if bias else [])
        + [(npr, nh)]
    )
    return Case(name, fn, tfn, shapes, **kw)


CASES = [
    proj_case("LSTMFn/proj"),
    proj_case("LSTMFn/proj-no-bias", bias=False),
    proj_case("LSTMFn/proj-reverse", reverse=True),
    proj_case("LSTMFn/proj-no-state", h0=False),
    proj_case("LSTMFn/proj-size1", nh=3, npr=1),
    proj_case("LSTMFn/proj-lengths", lengths=LENGTHS),
    proj_case("LSTMFn/proj-reverse-lengths", reverse=True, lengths=LENGTHS),
    proj_case("LSTMFn/proj-batch-first", batch_first=True),
    proj_case("LSTMFn/proj-one-step-batch1", nt=1, nb=1),
    # 8 sequences or more take the block path of the gate math
    proj_case("LSTMFn/proj-batch9-lengths", nt=5, nb=9, lengths=LENGTHS9),
    proj_case("LSTMFn/proj-batch9-reverse-no-state", nt=5, nb=9, reverse=True, h0=False),
    proj_case("LSTMFn/proj-long", nt=50, nb=2, nh=6, npr=3, gradcheck=False, rtol=1e-3),
]


table_tests(CASES)


def _weights(rng, ni=2, nh=4, npr=2, dtype=np.float64):
    shapes = [(4 * nh, ni), (4 * nh, npr), (4 * nh,), (4 * nh,), (npr, nh)]
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def test_gradients_of_weight_hr_alone_and_partial_needs():
    """Only W_hr (or only x) requiring grad still gives torch's gradient for it."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 3, 2))
    ws = _weights(rng)
    for wanted in (4, None):
        nw = [nerve.tensor(w, requires_grad=i == wanted) for i, w in enumerate(ws)]
        tw = [torch.tensor(w, requires_grad=i == wanted) for i, w in enumerate(ws)]
        nx = nerve.tensor(x, requires_grad=wanted is None)
        tx = torch.tensor(x, requires_grad=wanted is None)
        y, h, c = lstm_sequence(nx, None, None, *nw[:4], weight_hr=nw[4])
        ty, th, tc = torch_proj(
            tx, torch.zeros(3, 2, dtype=tx.dtype), torch.zeros(3, 4, dtype=tx.dtype), tw
        )
        (y.sum() + 2 * c.sum()).backward()
        (ty.sum() + 2 * tc.sum()).backward()
        got, want = (nw[4], tw[4]) if wanted == 4 else (nx, tx)
        np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), rtol=1e-10)
        assert all(w.grad is None for w in nw[:4])


def test_grad_norms_are_those_of_the_projected_state():
    """‖∂L/∂hₜ‖ (from the output and from step t+1) equals torch's, step by step."""
    rng = np.random.default_rng(4)
    nt, nb = 5, 3
    x, dy = rng.standard_normal((nt, nb, 2)), rng.standard_normal((nt, nb, 2))
    ws = _weights(rng)
    norms = []
    y, _, _ = lstm_sequence(
        nerve.tensor(x),
        None,
        None,
        *[nerve.tensor(w, requires_grad=True) for w in ws[:4]],
        weight_hr=nerve.tensor(ws[4]),
        grad_norms=norms,
    )
    (y * nerve.tensor(dy)).sum().backward()
    module = torch.nn.LSTM(2, 4, proj_size=2).double()
    params = {n: torch.tensor(w, requires_grad=True) for n, w in zip(NAMES, ws)}
    h, c = torch.zeros(1, nb, 2, dtype=torch.float64), torch.zeros(1, nb, 4, dtype=torch.float64)
    ys, hs = [], []
    for t in range(nt):
        yt, (h, c) = functional_call(module, params, (torch.tensor(x[t : t + 1]), (h, c)))
        for v in (yt, h):
            v.retain_grad()
        ys.append(yt)
        hs.append(h)
    sum((yt * torch.tensor(dy[t : t + 1])).sum() for t, yt in enumerate(ys)).backward()
    want = [
        np.linalg.norm(ys[t].grad.numpy() + (hs[t].grad.numpy() if hs[t].grad is not None else 0))
        for t in range(nt)
    ]
    assert len(norms) == 1 and norms[0].shape == (nt,)
    np.testing.assert_allclose(norms[0], want, rtol=1e-10)


def test_mismatched_weight_hr_names_the_shapes():
    rng = np.random.default_rng(5)
    x = nerve.tensor(rng.standard_normal((3, 2, 2)))
    ws = [nerve.tensor(w) for w in _weights(rng)]
    with pytest.raises(RuntimeError, match=r"weight_hr.*\(4, 2\).*weight_hh.*\(16, 2\)"):
        lstm_sequence(x, None, None, *ws[:4], weight_hr=ws[4].T)
    with pytest.raises(RuntimeError, match=r"expected hx of shape \(2, 2\), got \(2, 4\)"):
        lstm_sequence(x, nerve.zeros(2, 4, dtype=nerve.float64), None, *ws[:4], weight_hr=ws[4])


def test_float32_in_float32_out():
    rng = np.random.default_rng(6)
    ws = [nerve.tensor(w) for w in _weights(rng, dtype=np.float32)]
    outs = lstm_sequence(nerve.randn(3, 2, 2), None, None, *ws[:4], weight_hr=ws[4])
    assert [o.shape for o in outs] == [(3, 2, 2), (2, 2), (2, 4)]
    assert all(o.dtype == nerve.float32 for o in outs)
