"""nn.LSTM with proj_size against torch.nn.LSTM(proj_size=...) with copied weights:
outputs, h_n, c_n, every parameter gradient and the input and state gradients; the
parameters, their order and initialisation, repr and the errors as PyTorch's."""

import itertools
import math

import numpy as np
import pytest
import torch
from test_rnn import _one_torch_thread, compare, twins  # noqa: F401 (an autouse fixture)

import nerve
from nerve import nn

# torch warns that its oneDNN kernel has no projections (it falls back to its own)
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections")


def _states(shape_h, shape_c, rng):
    arrs = [rng.standard_normal(s).astype(np.float32) for s in (shape_h, shape_c)]
    return (
        tuple(nerve.tensor(a, requires_grad=True) for a in arrs),
        tuple(torch.tensor(a, requires_grad=True) for a in arrs),
    )


GRID = list(itertools.product((1, 2), (False, True), (False, True), (False, True), (1, 50)))


@pytest.mark.parametrize(
    "layers,bidir,batch_first,with_h0,steps", GRID, ids=["-".join(map(str, g)) for g in GRID]
)
def test_against_torch(layers, bidir, batch_first, with_h0, steps):
    m, t = twins(
        "lstm", 3, 5, num_layers=layers, bidirectional=bidir, batch_first=batch_first, proj_size=2
    )
    rng = np.random.default_rng(0)
    B, lead = 4, layers * (2 if bidir else 1)
    x = rng.standard_normal((B, steps, 3) if batch_first else (steps, B, 3)).astype(np.float32)
    hx, thx = _states((lead, B, 2), (lead, B, 5), rng) if with_h0 else (None, None)
    y, (h, c) = m(nerve.tensor(x), hx)
    assert y.shape[-1] == 2 * (2 if bidir else 1) and h.shape == (lead, B, 2)
    assert c.shape == (lead, B, 5)
    compare(m, t, "lstm", x, hx, thx, rtol=1e-3, atol=5e-5)


@pytest.mark.parametrize("batch_first,layers", itertools.product((False, True), (1, 2)))
def test_packed_unsorted_lengths_match_torch(batch_first, layers):
    m, t = twins(
        "lstm",
        3,
        6,
        num_layers=layers,
        bidirectional=layers == 2,
        batch_first=batch_first,
        proj_size=3,
    )
    rng = np.random.default_rng(5)
    lengths = np.array([3, 7, 1, 5])
    x = rng.standard_normal((4, 7, 3) if batch_first else (7, 4, 3)).astype(np.float32)
    hx, thx = _states(
        (2 * layers if layers == 2 else 1, 4, 3), (2 * layers if layers == 2 else 1, 4, 6), rng
    )
    nx, tx = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, (h, c) = m(nn.pack_padded_sequence(nx, lengths, batch_first, enforce_sorted=False), hx)
    tout, (th, tc) = t(
        torch.nn.utils.rnn.pack_padded_sequence(
            tx, torch.tensor(lengths), batch_first, enforce_sorted=False
        ),
        thx,
    )
    y, _ = nn.pad_packed_sequence(out, batch_first)
    ty, _ = torch.nn.utils.rnn.pad_packed_sequence(tout, batch_first)
    loss = tloss = 0
    for o, to in zip((y, h, c), (ty, th, tc)):
        np.testing.assert_allclose(o.detach().numpy(), to.detach().numpy(), 2e-4, 2e-5)
        w = rng.standard_normal(o.shape).astype(np.float32)
        loss, tloss = loss + (o * nerve.tensor(w)).sum(), tloss + (to * torch.tensor(w)).sum()
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(nx.grad.numpy(), tx.grad.numpy(), 2e-4, 2e-5)
    for a, b in zip(hx, thx):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), 2e-4, 2e-5)
    for name, p in t.named_parameters():
        np.testing.assert_allclose(
            getattr(m, name).grad.numpy(), p.grad.numpy(), 2e-4, 2e-5, err_msg=name
        )
    # the lengths keyword is the same computation without packing
    y2, (h2, c2) = m(nerve.tensor(x), tuple(s.detach() for s in hx), lengths=lengths)
    np.testing.assert_array_equal(y2.detach().numpy(), y.detach().numpy())
    np.testing.assert_array_equal(h2.detach().numpy(), h.detach().numpy())


@pytest.mark.parametrize("layers", (1, 2))
def test_unbatched_input(layers):
    m, t = twins("lstm", 3, 4, num_layers=layers, bidirectional=layers == 2, proj_size=1)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    lead = 2 * layers if layers == 2 else 1
    hx, thx = _states((lead, 1), (lead, 4), rng)
    compare(m, t, "lstm", x, hx, thx)


def test_no_bias():
    m, t = twins("lstm", 3, 4, bias=False, num_layers=2, proj_size=2)
    assert list(dict(m.named_parameters())) == [
        "weight_ih_l0",
        "weight_hh_l0",
        "weight_hr_l0",
        "weight_ih_l1",
        "weight_hh_l1",
        "weight_hr_l1",
    ]
    compare(m, t, "lstm", np.random.default_rng(4).standard_normal((5, 2, 3)).astype(np.float32))


def test_dropout_between_layers():
    m, t = twins("lstm", 3, 5, num_layers=2, dropout=0.5, proj_size=2)
    x = np.random.default_rng(6).standard_normal((4, 2, 3)).astype(np.float32)
    m.eval()
    t.eval()
    compare(m, t, "lstm", x)
    m.train()
    y1, _ = m(nerve.tensor(x))
    y2, _ = m(nerve.tensor(x))
    assert y1.shape == (4, 2, 2)
    assert not np.allclose(y1.detach().numpy(), y2.detach().numpy())
    y1.sum().backward()
    assert m.weight_hr_l0.grad.shape == (2, 5)


def test_float64_stays_float64():
    m = nn.LSTM(3, 4, proj_size=2, num_layers=2, dtype=nerve.float64)
    y, (h, c) = m(nerve.randn(5, 2, 3, dtype=nerve.float64))
    assert y.dtype == h.dtype == c.dtype == nerve.float64


def test_parameters_keys_order_shapes_and_init():
    m = nn.LSTM(10, 64, num_layers=2, bidirectional=True, proj_size=16)
    t = torch.nn.LSTM(10, 64, num_layers=2, bidirectional=True, proj_size=16)
    assert m._flat_weights_names == t._flat_weights_names
    assert list(m.state_dict()) == list(t.state_dict())
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [[tuple(p.shape) for p in w] for w in m.all_weights] == [
        [tuple(p.shape) for p in w] for w in t.all_weights
    ]
    assert m.weight_hr_l1_reverse.shape == (16, 64) and m.weight_ih_l1.shape == (256, 32)
    assert m.weight_hh_l0.shape == (256, 16)
    bound = 1 / math.sqrt(64)  # U(-1/√hidden, 1/√hidden) for every parameter, W_hr too
    for k, v in m.state_dict().items():
        a = v.numpy()
        assert v.dtype == nerve.float32 and np.abs(a).max() <= bound, k
        assert abs(a.std() - bound / math.sqrt(3)) < 0.15 * bound, k
    assert m.proj_size == 16


def test_repr_as_torch():
    for kw in (
        {"proj_size": 2},
        {"proj_size": 3, "num_layers": 2, "bidirectional": True, "batch_first": True},
    ):
        assert repr(nn.LSTM(3, 5, **kw)) == repr(torch.nn.LSTM(3, 5, **kw))
    assert "proj_size" not in repr(nn.LSTM(3, 5))


def test_torch_state_dict_loads_and_runs():
    t = torch.nn.LSTM(4, 6, num_layers=2, proj_size=3)
    m = nn.LSTM(4, 6, num_layers=2, proj_size=3)
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(9).standard_normal((7, 2, 4)).astype(np.float32)
    with torch.no_grad():
        ty, (th, tc) = t(torch.tensor(x))
    y, (h, c) = m(nerve.tensor(x))
    for a, b in ((y, ty), (h, th), (c, tc)):
        np.testing.assert_allclose(a.detach().numpy(), b.numpy(), 1e-5, 1e-6)


def _raises_like_torch(make, tmake):
    with pytest.raises(Exception) as terr:
        tmake()
    with pytest.raises(terr.type) as err:
        make()
    return str(err.value)


@pytest.mark.parametrize("proj_size", [5, 7, -1])
def test_bad_proj_size_raises_value_error(proj_size):
    msg = _raises_like_torch(
        lambda: nn.LSTM(3, 5, proj_size=proj_size), lambda: torch.nn.LSTM(3, 5, proj_size=proj_size)
    )
    assert "LSTM" in msg and "proj_size" in msg and str(proj_size) in msg


def test_non_integer_proj_size_raises_type_error():
    _raises_like_torch(
        lambda: nn.LSTM(3, 5, proj_size=2.5), lambda: torch.nn.LSTM(3, 5, proj_size=2.5)
    )


def test_wrong_state_shapes_name_layer_and_shapes():
    m, t = nn.LSTM(3, 5, num_layers=2, proj_size=2), torch.nn.LSTM(3, 5, num_layers=2, proj_size=2)
    x = np.zeros((6, 4, 3), np.float32)
    for h_shape, c_shape, label, want in (
        ((2, 4, 5), (2, 4, 5), "h_0", (2, 4, 2)),
        ((2, 4, 2), (2, 4, 2), "c_0", (2, 4, 5)),
    ):
        msg = _raises_like_torch(
            lambda h_shape=h_shape, c_shape=c_shape: m(
                nerve.tensor(x), (nerve.zeros(*h_shape), nerve.zeros(*c_shape))
            ),
            lambda h_shape=h_shape, c_shape=c_shape: t(
                torch.tensor(x), (torch.zeros(*h_shape), torch.zeros(*c_shape))
            ),
        )
        assert msg.startswith("LSTM") and label in msg and "proj_size=2" in msg
        assert str(want) in msg and f"got {(h_shape if label == 'h_0' else c_shape)}" in msg
    # unbatched: (layers, proj_size) and (layers, hidden_size)
    with pytest.raises(RuntimeError, match=r"h_0 of size \(2, 2\), got \(2, 5\)"):
        m(nerve.zeros(6, 3), (nerve.zeros(2, 5), nerve.zeros(2, 5)))


def test_lstm_cell_has_no_proj_size():
    _raises_like_torch(
        lambda: nn.LSTMCell(3, 5, proj_size=2), lambda: torch.nn.LSTMCell(3, 5, proj_size=2)
    )


def test_grad_norms_per_layer_and_direction_are_of_projected_h():
    m = nn.LSTM(3, 6, num_layers=2, bidirectional=True, proj_size=4)
    m.record_grad_norms = True
    y, _ = m(nerve.randn(7, 2, 3))
    assert y.shape == (7, 2, 8)
    y.sum().backward()
    assert len(m.grad_norms) == 4
    assert all(len(g) == 1 and g[0].shape == (7,) and np.all(g[0] > 0) for g in m.grad_norms)
    # ∂L/∂h_T of the top layer's forward direction is the output weighting alone: ones of
    # shape (B, proj_size)
    np.testing.assert_allclose(m.grad_norms[2][0][-1], np.sqrt(2 * 4), rtol=1e-6)
