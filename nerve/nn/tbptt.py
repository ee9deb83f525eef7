"""Truncated backpropagation through time, and generation that carries the state.

TBPTT(k1, k2) (Williams and Peng): walk a long sequence k1 steps at a time; after
each k1 steps, update the weights with the gradient of the loss on those k1 steps,
backpropagated through at most k2 steps. The recurrent state is carried forward
*detached*, so no backward ever reaches an old, freed graph.

The model is any callable ``model(x, state) -> (output, state)`` (state None at the
start; a Tensor or a tuple of Tensors such as an LSTM's (h, c)), e.g. an nn.LSTM or a
Module wrapping Embedding → LSTM → Linear.
"""

from __future__ import annotations

from nerve import random as _random
from nerve.autograd import grad_mode
from nerve.backend import array_module, draws, to_host
from nerve.dtypes import float64, int64
from nerve.nn.module import Module
from nerve.ops.shape.rearrange import cat
from nerve.tensor import Tensor


def detach_state(state):
    """The state with every Tensor detached (tuples and lists kept), None stays None."""
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    return type(state)(detach_state(s) for s in state)


class TBPTT:
    """Truncated BPTT(k1, k2) trainer.

    ``step(x, y)`` trains on one batch of long sequences x, y (B, T, …) (time on dim 1
    if ``batch_first`` else dim 0) and returns the mean loss; the state carries over to
    the next call (a stream split into consecutive batches) until ``reset()``.
    ``loss_fn(output, target)`` gets the output and target of the k1 new steps.

    k2 = k1 (the default) is the common case: consecutive chunks, state detached at each
    chunk boundary. k2 > k1 (a multiple of k1) re-runs the window of the last k2 steps
    from the state detached at its start, so gradients reach k2 steps back while the
    loss covers only the k1 new ones. k2 < k1 detaches the state k2 steps before each
    chunk's end.
    """

    def __init__(
        self,
        model,
        optimizer,
        loss_fn,
        k1: int,
        k2: int | None = None,
        batch_first: bool = True,
        clip_grad_norm: float | None = None,
    ) -> None:
        k2 = k1 if k2 is None else k2
        if k1 < 1 or k2 < 1:
            raise ValueError(f"TBPTT: k1 and k2 must be positive, got k1={k1}, k2={k2}")
        if k2 > k1 and k2 % k1:
            raise ValueError(f"TBPTT: k2 > k1 must be a multiple of k1, got k1={k1}, k2={k2}")
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.k1, self.k2, self.dim = k1, k2, 1 if batch_first else 0
        self.clip_grad_norm = clip_grad_norm
        self.reset()

    def reset(self) -> None:
        """Forget the carried state (start of a new, unrelated stream)."""
        self.state = None
        self._window = []  # (x, y) chunks before the current one, for k2 > k1
        self._window_state = None

    def step(self, x: Tensor, y: Tensor) -> float:
        total, count = 0.0, 0
        for start in range(0, x.shape[self.dim], self.k1):
            end = start + self.k1
            xc, yc = self._slice(x, start, end), self._slice(y, start, end)
            loss = self._update(xc, yc)
            n = xc.shape[self.dim]
            total, count = total + loss * n, count + n
        return total / max(count, 1)

    def _update(self, xc: Tensor, yc: Tensor) -> float:
        self.optimizer.zero_grad()
        if self.k2 > self.k1:
            out, state = self._run_window(xc)
        elif self.k2 < self.k1 and xc.shape[self.dim] > self.k2:
            out, state = self._run_split(xc)
        else:
            out, state = self.model(xc, self.state)
        loss = self.loss_fn(out, yc)
        loss.backward()
        if self.clip_grad_norm is not None:
            from nerve.nn.utils import clip_grad_norm_

            params = (
                self.model.parameters()
                if isinstance(self.model, Module)
                else self.optimizer.param_groups[0]["params"]
            )
            clip_grad_norm_(params, self.clip_grad_norm)
        self.optimizer.step()
        self.state = detach_state(state)
        return float(loss.item())

    def _run_split(self, xc: Tensor) -> tuple:
        """k2 < k1: the first steps run from the carried state, then the state is
        detached so the gradient of the chunk's loss reaches only k2 steps back."""
        cut = xc.shape[self.dim] - self.k2
        head, tail = self._slice(xc, 0, cut), self._slice(xc, cut, None)
        out1, state = self.model(head, self.state)
        out2, state = self.model(tail, detach_state(state))
        return cat([out1, out2], dim=self.dim), state

    def _run_window(self, xc: Tensor) -> tuple:
        """k2 > k1: re-run the previous chunks of the window (at most k2/k1 - 1) from the
        state detached at the window's start; only the new chunk's output goes to the
        loss."""
        state = self._window_state if self._window else self.state
        after_first = None
        for old in self._window:
            _, state = self.model(old, state)
            after_first = state if after_first is None else after_first
        if not self._window:
            self._window_state = self.state
        out, state = self.model(xc, state)
        self._window.append(xc)
        if len(self._window) > self.k2 // self.k1 - 1:
            self._window.pop(0)
            self._window_state = detach_state(after_first)
        return out, state

    def _slice(self, t: Tensor, a, b) -> Tensor:
        return t[(slice(None),) * self.dim + (slice(a, b),)]


def sample_next(logits: Tensor, temperature: float = 1.0, generator=None) -> Tensor:
    """One draw per row from softmax(logits / temperature); logits (B, V) -> (B,) int64.

    temperature → 0 approaches argmax (temperature 0 is argmax exactly)."""
    z = logits._data if isinstance(logits, Tensor) else to_host(logits)
    xp = array_module(z)
    z = z.astype(float64).reshape(-1, z.shape[-1])
    if temperature <= 0:
        return Tensor._wrap(z.argmax(axis=1))
    z = z / temperature
    p = xp.exp(z - z.max(axis=1, keepdims=True))  # stable softmax, unnormalised
    c = xp.cumsum(p, axis=1)
    # the uniform draw is made on the host generator (the CPU's numbers on any device)
    u = draws.uniform(_random.rng(generator), (c.shape[0], 1), float64, z) * c[:, -1:]
    # the first index whose cumulative mass exceeds u, for every row at once
    return Tensor._wrap(xp.minimum((c <= u).sum(axis=1), z.shape[1] - 1))


def generate(
    model, prime: Tensor, steps: int, temperature: float = 1.0, state=None, generator=None
) -> tuple:
    """Feed ``prime`` (B, P) token ids through ``model`` (batch first), then sample
    ``steps`` tokens one at a time, each fed back as the next input. The model returns
    (logits (B, t, V), state). Runs without grad; returns (tokens (B, steps), state)."""
    if prime.ndim != 2 or prime.shape[1] < 1:
        raise RuntimeError(
            f"generate: expected prime token ids of shape (B, P) with P >= 1, "
            f"got {tuple(prime.shape)}"
        )
    out = array_module(prime._data).empty((prime.shape[0], steps), int64)
    mode = grad_mode.state
    prev, mode.enabled = mode.enabled, False
    try:
        logits, state = model(prime, detach_state(state))
        for t in range(steps):
            token = sample_next(logits[:, -1], temperature, generator)
            out[:, t] = token._data
            logits, state = model(token.reshape(-1, 1), state)
    finally:
        mode.enabled = prev
    return Tensor._wrap(out), state
