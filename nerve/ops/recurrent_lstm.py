"""LSTM over a whole sequence as one graph node (layout and helpers: recurrent.py)."""

from __future__ import annotations

import functools

import numpy as np

from nerve.autograd.function import Function
from nerve.ops.recurrent import (
    as_sequence,
    blend,
    final_of,
    finish_norms,
    input_grads,
    mask_split,
    outputs_of,
    previous_of,
    project,
    record_norms,
    recurrent_gemm,
    seq_grad,
    seq_out,
    slots,
    state_buffer,
    state_grad,
    state_in,
    state_out,
    steps,
    time_mask,
)


@functools.lru_cache(maxsize=64)
def _gate_constants(nh: int, dtype) -> tuple:
    """Per-column constants for the gate block in PyTorch's order i, f, g, o.

    σ(z) = ½ tanh(z/2) + ½, so one tanh serves all four gates: scale the block by s,
    tanh it, then multiply by s and add s₀ (s = ½ for i, f, o and 1 for g; s₀ = ½ and 0).
    The derivative of each gate a is (a + p)(1 - a) with p = 0 for σ (a(1-a)) and
    p = 1 for tanh (1 - a²).
    """
    s = np.full(4 * nh, 0.5, dtype)
    s[2 * nh:3 * nh] = 1
    s0 = np.full(4 * nh, 0.5, dtype)
    s0[2 * nh:3 * nh] = 0
    p = np.zeros(4 * nh, dtype)
    p[2 * nh:3 * nh] = 1
    for a in (s, s0, p):
        a.flags.writeable = False  # shared between calls through the cache
    return s, s0, p


class LSTMFn(Function):
    """LSTM over a whole sequence (one layer, one direction), PyTorch's equations:
    [i f g o]ₜ = [σ σ tanh σ](xₜ W_ihᵀ + b_ih + hₜ₋₁ W_hhᵀ + b_hh),
    cₜ = f ⊙ cₜ₋₁ + i ⊙ g,  hₜ = o ⊙ tanh cₜ.

    BPTT with δhₜ = ∂L/∂hₜ and δcₜ = ∂L/∂cₜ (each from the output and from step t+1):
    δcₜ += δhₜ ⊙ o ⊙ (1 - tanh² cₜ);  δo = δhₜ ⊙ tanh cₜ,  δi = δcₜ ⊙ g,  δf = δcₜ ⊙ cₜ₋₁,
    δg = δcₜ ⊙ i;  δzₜ = [δi δf δg δo] ⊙ gate′;  δhₜ₋₁ = δzₜ W_hh,  δcₜ₋₁ = δcₜ ⊙ f;
    ∂L/∂W_ih = Σₜ δzₜᵀ xₜ,  ∂L/∂W_hh = Σₜ δzₜᵀ hₜ₋₁,  ∂L/∂b = Σₜ δzₜ,  ∂L/∂xₜ = δzₜ W_ih.
    """

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False,
                lengths=None, grad_norms=None, batch_first=False, layered=False):
        x = as_sequence(self, x, batch_first, layered)
        nt, nb, _ = x.shape
        nh = w_hh.shape[1]
        h0, c0 = state_in(self, "hx", h0, nb, nh), state_in(self, "cx", c0, nb, nh)
        self.x2, acts = project(x, w_ih, None if b_ih is None else b_ih + b_hh)
        dt = acts.dtype
        m = time_mask(lengths, nt, nb, dt)
        hs = state_buffer(nt, h0, nb, nh, dt, reverse)
        cs = state_buffer(nt, c0, nb, nh, dt, reverse)
        tcs = np.empty((nt, nb, nh), dt)
        s, s0, self.p = _gate_constants(nh, np.dtype(dt))
        tmp_t, t1 = np.empty((4 * nh, nb), dt), np.empty((nb, nh), dt)
        for t in steps(nt, reverse):
            prev, out = slots(t, reverse)
            a = acts[t]  # the pre-activations become the gates in place
            a += recurrent_gemm(w_hh, hs[prev], tmp_t)
            a *= s
            np.tanh(a, out=a)
            a *= s
            a += s0
            c = cs[out]
            np.multiply(a[:, nh:2 * nh], cs[prev], out=c)
            np.multiply(a[:, :nh], a[:, 2 * nh:3 * nh], out=t1)
            c += t1
            np.tanh(c, out=tcs[t])
            np.multiply(a[:, 3 * nh:], tcs[t], out=hs[out])
            if m is not None:
                blend(hs[out], hs[prev], m[t], t1)
                blend(c, cs[prev], m[t], t1)
        self.hs, self.cs, self.tcs, self.acts, self.m = hs, cs, tcs, acts, m
        self.w_ih, self.w_hh, self.reverse, self.grad_norms = w_ih, w_hh, reverse, grad_norms
        y = outputs_of(hs, reverse)
        return (seq_out(self, y if m is None else y * m), state_out(self, final_of(hs, reverse)),
                state_out(self, final_of(cs, reverse)))

    def backward(self, dy, dh_n, dc_n):
        hs, cs, tcs, acts, m, reverse = self.hs, self.cs, self.tcs, self.acts, self.m, self.reverse
        nt, nb, nh = tcs.shape
        dz = np.empty_like(acts)
        dy, dh = seq_grad(self, dy), state_grad(dh_n, nb, nh, hs.dtype)
        dc = state_grad(dc_n, nb, nh, hs.dtype)
        t1 = np.empty((nb, nh), hs.dtype)
        d4, e4 = np.empty((nb, 4 * nh), hs.dtype), np.empty((nb, 4 * nh), hs.dtype)
        norms = np.empty(nt) if self.grad_norms is not None else None
        need_h0 = self.needs_input_grad[1] or self.needs_input_grad[2]
        for k, t in enumerate(steps(nt, not reverse)):
            if dy is not None:
                dh += dy[t] if m is None else dy[t] * m[t]
            record_norms(self, norms, dh, t)
            carry = None if m is None else (mask_split(dh, m[t]), mask_split(dc, m[t]))
            a, tc, z = acts[t], tcs[t], dz[t]
            np.multiply(tc, tc, out=t1)
            np.subtract(1, t1, out=t1)
            t1 *= a[:, 3 * nh:]
            t1 *= dh
            dc += t1
            np.multiply(dc, a[:, 2 * nh:3 * nh], out=z[:, :nh])
            np.multiply(dc, cs[slots(t, reverse)[0]], out=z[:, nh:2 * nh])
            np.multiply(dc, a[:, :nh], out=z[:, 2 * nh:3 * nh])
            np.multiply(dh, tc, out=z[:, 3 * nh:])
            np.add(a, self.p, out=d4)
            np.subtract(1, a, out=e4)
            d4 *= e4
            z *= d4
            dc *= a[:, nh:2 * nh]
            if k == nt - 1 and not need_h0:
                break
            np.matmul(z, self.w_hh, out=dh)
            if carry is not None:
                dh += carry[0]
                dc += carry[1]
        finish_norms(self, norms)
        shape = self.state_shape
        return self._grads(dz, dh.reshape(shape) if need_h0 else None,
                           dc.reshape(shape) if need_h0 else None)

    def _grads(self, dz, dh0, dc0):
        need = self.needs_input_grad
        dz2 = dz.reshape(-1, dz.shape[-1])  # (T, B, 4H) -> (T*B, 4H)
        dx, dw_ih = input_grads(self, dz2, self.w_ih, need[0], need[3])
        hp = previous_of(self.hs, self.reverse).reshape(-1, self.w_hh.shape[1])
        dw_hh = dz2.T @ hp if need[4] else None
        db = dz2.sum(axis=0) if len(need) > 5 and (need[5] or need[6]) else None
        return dx, dh0, dc0, dw_ih, dw_hh, db, db


def lstm_sequence(input, hx, cx, weight_ih, weight_hh, bias_ih=None,  # noqa: A002
                  bias_hh=None, reverse: bool = False, lengths=None,
                  grad_norms: list | None = None, batch_first: bool = False,
                  layered: bool = False):
    """One LSTM layer in one direction over input (T, B, I); returns
    (output (T, B, H), h_n (B, H), c_n (B, H)); batch_first, layered and ``hx``/``cx``
    as rnn_sequence."""
    return LSTMFn.apply(input, hx, cx, weight_ih, weight_hh, bias_ih, bias_hh,
                        reverse=reverse, lengths=lengths, grad_norms=grad_norms,
                        batch_first=batch_first, layered=layered)


def lstm_cell(input, hx, cx, weight_ih, weight_hh, bias_ih=None,  # noqa: A002
              bias_hh=None):
    """One LSTM step for input (B, I), states (B, H); returns (h', c')."""
    _, h, c = LSTMFn.apply(input, hx, cx, weight_ih, weight_hh, bias_ih, bias_hh)
    return h, c
