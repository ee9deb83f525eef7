"""nn.RNN/LSTM/GRU and the cells against their PyTorch twins with copied weights:
outputs, final states, every parameter gradient and the input and state gradients."""

import itertools

import numpy as np
import pytest
import torch

import nerve
from nerve import nn

KINDS = {
    "rnn": ("RNN", {}),
    "relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "gru": ("GRU", {}),
}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # torch's threads spin against each other on a loaded 2-core machine (10x slower on
    # 200-step BPTT); one thread keeps the oracle fast
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def twins(kind, *args, **kw):
    name, extra = KINDS[kind]
    torch.manual_seed(0)
    t = getattr(torch.nn, name)(*args, **extra, **kw)
    m = getattr(nn, name)(*args, **extra, **kw)
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return m, t


def _states(kind, shape, rng, given):
    if not given:
        return None, None
    arrs = [
        rng.standard_normal(shape).astype(np.float32) for _ in range(2 if kind == "lstm" else 1)
    ]
    n = [nerve.tensor(a, requires_grad=True) for a in arrs]
    t = [torch.tensor(a, requires_grad=True) for a in arrs]
    return (tuple(n), tuple(t)) if kind == "lstm" else (n[0], t[0])


def _flat(states):
    return states if isinstance(states, tuple) else (states,)


def compare(m, t, kind, x, hx=None, thx=None, rtol=2e-4, atol=2e-5, seed=1):
    """Run both, backprop the same random weighting of all outputs, compare everything."""
    nx = nerve.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    y, h = m(nx, hx)
    ty, th = t(tx, thx)
    outs, touts = (y,) + _flat(h), (ty,) + _flat(th)
    rng = np.random.default_rng(seed)
    loss, tloss = 0, 0
    for o, to in zip(outs, touts):
        assert o.shape == tuple(to.shape) and o.dtype == nerve.float32
        np.testing.assert_allclose(o.detach().numpy(), to.detach().numpy(), rtol, atol)
        w = rng.standard_normal(o.shape).astype(np.float32)
        loss, tloss = loss + (o * nerve.tensor(w)).sum(), tloss + (to * torch.tensor(w)).sum()
    loss.backward()
    tloss.backward()
    for name, p in t.named_parameters():
        g = getattr(m, name).grad
        assert isinstance(g, nerve.Tensor), name
        np.testing.assert_allclose(g.numpy(), p.grad.numpy(), rtol, atol, err_msg=name)
    np.testing.assert_allclose(nx.grad.numpy(), tx.grad.numpy(), rtol, atol)
    if hx is not None:
        for a, b in zip(_flat(hx), _flat(thx)):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol, atol)


GRID = list(itertools.product(KINDS, (1, 2), (False, True), (False, True), (False, True)))


@pytest.mark.parametrize(
    "kind,layers,bidir,batch_first,with_h0", GRID, ids=["-".join(map(str, g)) for g in GRID]
)
def test_against_torch(kind, layers, bidir, batch_first, with_h0):
    m, t = twins(kind, 3, 5, num_layers=layers, bidirectional=bidir, batch_first=batch_first)
    rng = np.random.default_rng(0)
    T, B = 6, 4
    x = rng.standard_normal((B, T, 3) if batch_first else (T, B, 3)).astype(np.float32)
    hx, thx = _states(kind, (layers * (2 if bidir else 1), B, 5), rng, with_h0)
    compare(m, t, kind, x, hx, thx)


@pytest.mark.parametrize("kind,steps", itertools.product(("rnn", "lstm", "gru"), (1, 200)))
def test_sequence_lengths_1_and_200(kind, steps):
    m, t = twins(kind, 4, 8, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((steps, 3, 4)).astype(np.float32)
    hx, thx = _states(kind, (4, 3, 8), rng, True)
    compare(m, t, kind, x, hx, thx, rtol=1e-3, atol=5e-5)


@pytest.mark.parametrize("kind,layers", itertools.product(("rnn", "lstm", "gru"), (1, 2)))
def test_unbatched_input(kind, layers):
    m, t = twins(kind, 3, 4, num_layers=layers, bidirectional=layers == 2)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    hx, thx = _states(kind, (2 * layers if layers == 2 else 1, 4), rng, True)
    compare(m, t, kind, x, hx, thx)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_no_bias(kind):
    m, t = twins(kind, 3, 4, bias=False, num_layers=2)
    assert "bias_ih_l0" not in dict(m.named_parameters())
    compare(m, t, kind, np.random.default_rng(4).standard_normal((5, 2, 3)).astype(np.float32))


@pytest.mark.parametrize(
    "kind,batch_first,layers", itertools.product(("lstm", "gru", "rnn"), (False, True), (1, 2))
)
def test_packed_unsorted_lengths_match_torch(kind, batch_first, layers):
    m, t = twins(kind, 3, 5, num_layers=layers, bidirectional=layers == 2, batch_first=batch_first)
    rng = np.random.default_rng(5)
    lengths = np.array([3, 7, 1, 5])
    x = rng.standard_normal((4, 7, 3) if batch_first else (7, 4, 3)).astype(np.float32)
    nx, tx = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    packed = nn.pack_padded_sequence(nx, lengths, batch_first, enforce_sorted=False)
    tpacked = torch.nn.utils.rnn.pack_padded_sequence(
        tx, torch.tensor(lengths), batch_first, enforce_sorted=False
    )
    out, h = m(packed)
    tout, th = t(tpacked)
    y, lens = nn.pad_packed_sequence(out, batch_first)
    ty, _ = torch.nn.utils.rnn.pad_packed_sequence(tout, batch_first)
    np.testing.assert_array_equal(lens.numpy(), lengths)
    outs, touts = (y,) + _flat(h), (ty,) + _flat(th)
    loss = tloss = 0
    for o, to in zip(outs, touts):
        np.testing.assert_allclose(o.detach().numpy(), to.detach().numpy(), 2e-4, 2e-5)
        w = rng.standard_normal(o.shape).astype(np.float32)
        loss, tloss = loss + (o * nerve.tensor(w)).sum(), tloss + (to * torch.tensor(w)).sum()
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(nx.grad.numpy(), tx.grad.numpy(), 2e-4, 2e-5)
    for name, p in t.named_parameters():
        np.testing.assert_allclose(getattr(m, name).grad.numpy(), p.grad.numpy(), 2e-4, 2e-5)


def test_lengths_keyword_equals_packing():
    m = nn.GRU(3, 4, batch_first=True).requires_grad_(False)
    x = nerve.randn(3, 6, 3)
    lengths = [6, 2, 4]
    y1, h1 = m(x, lengths=lengths)
    y2, lens = nn.pad_packed_sequence(
        m(nn.pack_padded_sequence(x, lengths, True, False))[0], batch_first=True
    )
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())
    short, h_short = m(x[1:2, :2])
    np.testing.assert_allclose(h1.numpy()[:, 1], h_short.numpy()[:, 0], rtol=1e-6)


def test_pack_enforce_sorted_as_pytorch():
    with pytest.raises(RuntimeError, match="sorted"):
        nn.pack_padded_sequence(nerve.zeros(5, 2, 1), [2, 5])
    with pytest.raises(RuntimeError, match="greater than 0"):
        nn.pack_padded_sequence(nerve.zeros(5, 2, 1), [0, 5], enforce_sorted=False)


def test_dropout_between_layers():
    m, t = twins("lstm", 3, 5, num_layers=2, dropout=0.5)
    x = np.random.default_rng(6).standard_normal((4, 2, 3)).astype(np.float32)
    m.eval()
    t.eval()
    compare(m, t, "lstm", x)
    m.train()
    y1, _ = m(nerve.tensor(x))
    y2, _ = m(nerve.tensor(x))
    assert not np.allclose(y1.detach().numpy(), y2.detach().numpy())
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        single = nn.LSTM(3, 5, dropout=0.5)  # one layer: dropout has no effect, as in PyTorch
    single.train()
    np.testing.assert_array_equal(
        single(nerve.tensor(x))[0].detach().numpy(), single(nerve.tensor(x))[0].detach().numpy()
    )


@pytest.mark.parametrize("kind,gates", [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_init_shapes_and_keys(kind, gates):
    name, extra = KINDS[kind]
    m = getattr(nn, name)(10, 16, num_layers=2, bidirectional=True, **extra)
    t = getattr(torch.nn, name)(10, 16, num_layers=2, bidirectional=True, **extra)
    assert list(m.state_dict()) == list(t.state_dict())
    for (k, v), (_, tv) in zip(m.state_dict().items(), t.state_dict().items()):
        assert v.shape == tuple(tv.shape) and v.dtype == nerve.float32, k
        assert np.abs(v.numpy()).max() <= 0.25 and v.numpy().std() > 0.1, k
    assert m.weight_ih_l1.shape == (gates * 16, 32)


def test_bad_config():
    with pytest.raises(ValueError, match="proj_size"):  # more in test_lstm_proj.py
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="dropout"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="gelu")


def test_bad_input_errors_name_layer_and_shapes():
    m = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(RuntimeError, match=r"LSTM.*Expected 3, got 5.*\(6, 2, 5\)"):
        m(nerve.zeros(6, 2, 5))
    with pytest.raises(ValueError, match=r"LSTM.*2D.*3D.*4D"):
        m(nerve.zeros(1, 6, 2, 3))
    h = nerve.zeros(2, 6, 4)
    with pytest.raises(RuntimeError, match=r"LSTM.*h_0.*\(2, 2, 4\).*\(2, 6, 4\).*batch_first"):
        m(nerve.zeros(6, 2, 3), (h, h))
    with pytest.raises(RuntimeError, match=r"GRU.*h_0.*\(1, 5, 4\).*\(2, 5, 4\)"):
        nn.GRU(3, 4)(nerve.zeros(6, 5, 3), nerve.zeros(2, 5, 4))
    with pytest.raises(RuntimeError, match=r"LSTM.*tuple"):
        m(nerve.zeros(6, 2, 3), h)
    with pytest.raises(RuntimeError, match=r"GRU.*lengths of 5.*shape \(6,\).*batch_first"):
        nn.GRU(3, 4)(nerve.zeros(6, 5, 3), lengths=[1] * 6)
    with pytest.raises(ValueError, match="float64"):
        nn.RNN(3, 4)(nerve.zeros(2, 2, 3, dtype=nerve.float64))


@pytest.mark.parametrize("kind", ["rnn", "relu", "lstm", "gru"])
def test_cells_against_torch(kind):
    name, extra = KINDS[kind]
    torch.manual_seed(0)
    t = getattr(torch.nn, name + "Cell")(3, 5, **extra)
    m = getattr(nn, name + "Cell")(3, 5, **extra)
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    rng = np.random.default_rng(7)
    for batched in (True, False):
        x = rng.standard_normal((4, 3) if batched else (3,)).astype(np.float32)
        hx, thx = _states(kind, (4, 5) if batched else (5,), rng, True)
        nx, tx = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        outs, touts = _flat(m(nx, hx)), _flat(t(tx, thx))
        loss = sum((o * (i + 1.5)).sum() for i, o in enumerate(outs))
        tloss = sum((o * (i + 1.5)).sum() for i, o in enumerate(touts))
        for o, to in zip(outs, touts):
            np.testing.assert_allclose(o.detach().numpy(), to.detach().numpy(), 1e-5, 1e-6)
        loss.backward()
        tloss.backward()
        np.testing.assert_allclose(nx.grad.numpy(), tx.grad.numpy(), 1e-5, 1e-6)
        for a, b in zip(_flat(hx), _flat(thx)):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), 1e-5, 1e-6)
        for pname, p in t.named_parameters():
            np.testing.assert_allclose(getattr(m, pname).grad.numpy(), p.grad.numpy(), 1e-4, 1e-5)
            p.grad = None
        m.zero_grad()


def test_cell_without_state_and_bad_state():
    cell = nn.LSTMCell(3, 4)
    h, c = cell(nerve.randn(2, 3))
    assert h.shape == (2, 4) and c.shape == (2, 4)
    with pytest.raises(RuntimeError, match=r"LSTMCell.*\(2, 4\).*\(3, 4\)"):
        cell(nerve.randn(2, 3), (nerve.zeros(3, 4), nerve.zeros(3, 4)))
    with pytest.raises(RuntimeError, match=r"GRUCell.*input_size.*got 5 expected 3"):
        nn.GRUCell(3, 4)(nerve.randn(2, 5))


def test_grad_norms_per_layer_and_direction():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    m.record_grad_norms = True
    y, _ = m(nerve.randn(7, 2, 3))
    y.sum().backward()
    assert len(m.grad_norms) == 4
    assert all(len(g) == 1 and g[0].shape == (7,) and np.all(g[0] > 0) for g in m.grad_norms)
    # ∂L/∂h_T of the forward direction of the top layer is the output weighting alone
    np.testing.assert_allclose(m.grad_norms[2][0][-1], np.sqrt(2 * 4), rtol=1e-6)


def test_pad_sequence_and_pad_packed_options_match_torch():
    rng = np.random.default_rng(8)
    seqs = [rng.standard_normal((n, 2)).astype(np.float32) for n in (3, 5, 1)]
    for batch_first in (False, True):
        got = nn.pad_sequence([nerve.tensor(s) for s in seqs], batch_first, padding_value=-1.0)
        want = torch.nn.utils.rnn.pad_sequence(
            [torch.tensor(s) for s in seqs], batch_first, padding_value=-1.0
        )
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    padded = nn.pad_sequence([nerve.tensor(s) for s in seqs])
    packed = nn.pack_padded_sequence(padded, [3, 5, 1], enforce_sorted=False)
    assert packed.batch_sizes.numpy().tolist() == [3, 2, 2, 1, 1]
    y, lengths = nn.pad_packed_sequence(packed, batch_first=True, padding_value=7.0, total_length=6)
    tp = torch.nn.utils.rnn.pack_padded_sequence(
        torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs]),
        torch.tensor([3, 5, 1]),
        enforce_sorted=False,
    )
    ty, tl = torch.nn.utils.rnn.pad_packed_sequence(tp, True, padding_value=7.0, total_length=6)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    np.testing.assert_array_equal(lengths.numpy(), tl.numpy())
    with pytest.raises(ValueError, match="total_length"):
        nn.pad_packed_sequence(packed, total_length=2)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_state_check_does_not_grow_with_steps(name, monkeypatch):
    """A step loop is O(1) per call: the freed-graph check looks at a fixed number of
    nodes however long the history behind the state is."""
    from nerve.nn import rnn

    visits = [0]
    real = rnn.is_freed

    def counting(fn):
        visits[0] += 1
        return real(fn)

    monkeypatch.setattr(rnn, "is_freed", counting)
    cell = getattr(nn, name)(3, 4)
    x = nerve.randn(2, 3)
    state = None
    per_step = []
    for _ in range(60):
        visits[0] = 0
        state = cell(x, state)
        per_step.append(visits[0])
    assert max(per_step) <= 2 * 3 + 2  # a few nodes per state, not the history
    assert per_step[-1] == per_step[5]


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_state_freed_by_backward_is_a_constant(name):
    """A state carried over a backward without detach is truncated, as for the layers."""
    cell = getattr(nn, name)(3, 4)
    x = nerve.randn(2, 3)
    state = None
    for _ in range(3):
        for _ in range(4):
            state = cell(x, state)
        h = state[0] if isinstance(state, tuple) else state
        h.sum().backward()  # frees the chunk's graph; the next chunk starts from it
    assert cell.weight_hh.grad is not None
