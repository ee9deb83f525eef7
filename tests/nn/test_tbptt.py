"""Truncated BPTT and generation, checked against the same schedule written by hand in
PyTorch (same weights, SGD): the weights after training must agree."""

import numpy as np
import pytest
import torch

import nerve
import nerve.nn.functional as F
from nerve import nn
from nerve.nn.tbptt import TBPTT, detach_state, generate, sample_next

V, E, H = 7, 5, 6


class NerveLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed, self.rnn, self.head = (
            nn.Embedding(V, E),
            nn.LSTM(E, H, batch_first=True),
            nn.Linear(H, V),
        )

    def forward(self, x, state=None):
        y, state = self.rnn(self.embed(x), state)
        return self.head(y), state


class TorchLM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed, self.rnn = torch.nn.Embedding(V, E), torch.nn.LSTM(E, H, batch_first=True)
        self.head = torch.nn.Linear(H, V)

    def forward(self, x, state=None):
        y, state = self.rnn(self.embed(x), state)
        return self.head(y), state


def twins():
    torch.manual_seed(0)
    t = TorchLM()
    m = NerveLM()
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return m, t


def data(steps=12, batch=3, seed=0):
    tokens = np.random.default_rng(seed).integers(0, V, (batch, steps + 1))
    return tokens[:, :-1], tokens[:, 1:]


def nerve_loss(out, y):
    return F.cross_entropy(out.reshape(-1, V), y.reshape(-1))


def torch_loss(out, y):
    return torch.nn.functional.cross_entropy(out.reshape(-1, V), y.reshape(-1))


def torch_tbptt(t, x, y, k1, k2, lr=0.5):
    """Williams & Peng's schedule by hand: after every k1 steps, backprop the loss of
    those k1 steps through the last k2 steps, from the state detached at the window's
    start (as computed by the latest forward pass that crossed that boundary)."""
    opt = torch.optim.SGD(t.parameters(), lr=lr)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    boundary = {0: None}  # detached state at every chunk boundary
    losses = []
    for start in range(0, x.shape[1], k1):
        end = min(start + k1, x.shape[1])
        w0 = max(0, end - k2) if k2 > k1 else start
        opt.zero_grad()
        state = boundary[w0]
        for b in range(w0, start, k1):  # re-run the window's earlier chunks
            _, state = t(x[:, b : b + k1], state)
            boundary[b + k1] = tuple(s.detach() for s in state)
        if k2 < k1 and end - start > k2:
            out1, state = t(x[:, start : end - k2], state)
            out2, state = t(x[:, end - k2 : end], tuple(s.detach() for s in state))
            out = torch.cat([out1, out2], 1)
        else:
            out, state = t(x[:, start:end], state)
        loss = torch_loss(out, y[:, start:end])
        loss.backward()
        opt.step()
        boundary[end] = tuple(s.detach() for s in state)
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("k1,k2", [(4, 4), (3, 3), (4, 8), (3, 9), (4, 2)])
def test_weights_after_tbptt_match_torch(k1, k2):
    m, t = twins()
    x, y = data()
    trainer = TBPTT(m, nerve.optim.SGD(m.parameters(), lr=0.5), nerve_loss, k1, k2)
    loss = trainer.step(nerve.tensor(x), nerve.tensor(y))
    torch_losses = torch_tbptt(t, x, y, k1, k2)
    assert np.isfinite(loss)
    for name, p in t.named_parameters():
        np.testing.assert_allclose(
            dict(m.named_parameters())[name].detach().numpy(),
            p.detach().numpy(),
            rtol=2e-4,
            atol=2e-5,
            err_msg=name,
        )
    np.testing.assert_allclose(loss, np.mean(torch_losses), rtol=1e-4)


def test_state_carries_across_calls_and_reset():
    m, _ = twins()
    trainer = TBPTT(m, nerve.optim.SGD(m.parameters(), lr=0.1), nerve_loss, 4)
    x, y = data()
    trainer.step(nerve.tensor(x), nerve.tensor(y))
    h, c = trainer.state
    assert h.grad_fn is None and not h.requires_grad and h.shape == (1, 3, H)
    trainer.step(nerve.tensor(x), nerve.tensor(y))  # continues from the carried state
    trainer.reset()
    assert trainer.state is None


def test_forgetting_to_detach_is_truncation_not_an_error():
    m, _ = twins()
    x, y = data()
    opt = nerve.optim.SGD(m.parameters(), lr=0.1)
    state, losses = None, []
    for start in range(0, 12, 4):
        opt.zero_grad()
        out, state = m(nerve.tensor(x[:, start : start + 4]), state)  # no detach
        loss = nerve_loss(out, nerve.tensor(y[:, start : start + 4]))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    m2, _ = twins()
    trainer = TBPTT(m2, nerve.optim.SGD(m2.parameters(), lr=0.1), nerve_loss, 4)
    assert trainer.step(nerve.tensor(x), nerve.tensor(y)) == pytest.approx(np.mean(losses))


def test_bad_k():
    with pytest.raises(ValueError, match="multiple"):
        TBPTT(None, None, None, 3, 5)
    with pytest.raises(ValueError, match="positive"):
        TBPTT(None, None, None, 0)


def test_detach_state_keeps_structure():
    a = nerve.randn(2, requires_grad=True) * 2
    out = detach_state((a, [a]))
    assert isinstance(out, tuple) and isinstance(out[1], list)
    assert out[0].grad_fn is None and detach_state(None) is None


def test_sample_next_follows_softmax_at_temperature():
    logits = nerve.tensor(np.log(np.array([[0.1, 0.2, 0.7]] * 20000)))
    nerve.manual_seed(0)
    draws = sample_next(logits, temperature=1.0).numpy()
    freq = np.bincount(draws, minlength=3) / draws.size
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7], atol=0.015)
    sharp = sample_next(logits, temperature=0.25).numpy()
    p = np.array([0.1, 0.2, 0.7]) ** 4
    np.testing.assert_allclose(np.bincount(sharp, minlength=3) / sharp.size, p / p.sum(), atol=0.01)
    assert np.all(sample_next(logits[:3], temperature=0).numpy() == 2)


def test_generate_greedy_matches_step_by_step():
    m, t = twins()
    prime = np.array([[1, 2, 3]])
    tokens, state = generate(m, nerve.tensor(prime), 5, temperature=0)
    assert tokens.shape == (1, 5) and tokens.dtype == nerve.int64
    with torch.no_grad():
        out, s = t(torch.from_numpy(prime))
        want = []
        for _ in range(5):
            nxt = out[:, -1].argmax(-1, keepdim=True)
            want.append(int(nxt))
            out, s = t(nxt, s)
    assert tokens.numpy()[0].tolist() == want
    np.testing.assert_allclose(state[0].numpy(), s[0].numpy(), rtol=1e-5, atol=1e-6)
    assert nerve.is_grad_enabled()
