"""GRU over a whole sequence as one graph node (layout and helpers: recurrent.py)."""

from __future__ import annotations

import numpy as np

from nerve.autograd.function import Function
from nerve.ops.recurrent import (
    as_sequence,
    blend,
    final_of,
    finish_norms,
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
    x_grad,
)


class GRUFn(Function):
    """GRU over a whole sequence (one layer, one direction), PyTorch's equations:
    r = σ(xW_irᵀ + b_ir + hW_hrᵀ + b_hr),  z = σ(xW_izᵀ + b_iz + hW_hzᵀ + b_hz),
    n = tanh(xW_inᵀ + b_in + r ⊙ (hW_hnᵀ + b_hn)),  h' = (1 - z) ⊙ n + z ⊙ h.

    BPTT with δ = ∂L/∂h' and u = hW_hnᵀ + b_hn:
    δaₙ = δ ⊙ (1 - z) ⊙ (1 - n²),  δa_z = δ ⊙ (h - n) ⊙ z(1 - z),  δa_r = δaₙ ⊙ u ⊙ r(1 - r);
    the recurrent pre-activation gets [δa_r δa_z δaₙ ⊙ r], the input one [δa_r δa_z δaₙ];
    ∂L/∂h = [δa_r δa_z δaₙ⊙r] W_hh + δ ⊙ z; the weight gradients are Σₜ of outer products.
    """

    def forward(self, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False, lengths=None,
                grad_norms=None, batch_first=False, layered=False):
        x = as_sequence(self, x, batch_first, layered)
        nt, nb, _ = x.shape
        nh = w_hh.shape[1]
        h0 = state_in(self, "hx", h0, nb, nh)
        bias = b_ih
        if b_hh is not None:  # b_hr, b_hz add as b_ir, b_iz (one pass); b_hn cannot
            bias = np.concatenate([b_hh[:2 * nh], np.zeros(nh, b_hh.dtype)])
            bias = bias if b_ih is None else bias + b_ih
        self.x2, acts = project(x, w_ih, bias)
        dt = acts.dtype
        m = time_mask(lengths, nt, nb, dt)
        hs = state_buffer(nt, h0, nb, nh, dt, reverse)
        # r, z and n get contiguous buffers of their own: the gate math then runs on
        # whole blocks, not on strided column slices of the pre-activations
        us, rzs, ns = (np.empty((nt, nb, k * nh), dt) for k in (1, 2, 1))
        tmp_t, t1 = np.empty((3 * nh, nb), dt), np.empty((nb, nh), dt)
        b_hn = np.zeros(nh, dt) if b_hh is None else b_hh[2 * nh:]
        for t in steps(nt, reverse):
            prev, out = slots(t, reverse)
            a, rz, n, u = acts[t], rzs[t], ns[t], us[t]
            tmp = recurrent_gemm(w_hh, hs[prev], tmp_t)
            np.add(a[:, :2 * nh], tmp[:, :2 * nh], out=rz)
            rz *= 0.5  # σ(v) = ½ tanh(v/2) + ½: stable for any v
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            np.add(tmp[:, 2 * nh:], b_hn, out=u)
            np.multiply(rz[:, :nh], u, out=n)
            n += a[:, 2 * nh:]
            np.tanh(n, out=n)
            h = hs[out]
            np.subtract(hs[prev], n, out=h)
            h *= rz[:, nh:]
            h += n
            if m is not None:
                blend(h, hs[prev], m[t], t1)
        self.hs, self.us, self.rzs, self.ns, self.m = hs, us, rzs, ns, m
        self.w_ih, self.w_hh, self.reverse, self.grad_norms = w_ih, w_hh, reverse, grad_norms
        y = outputs_of(hs, reverse)
        return seq_out(self, y if m is None else y * m), state_out(self, final_of(hs, reverse))

    def backward(self, dy, dh_n):
        hs, us, rzs, ns, m, reverse = self.hs, self.us, self.rzs, self.ns, self.m, self.reverse
        nt, nb, nh = us.shape
        dzh, dn = np.empty((nt, nb, 3 * nh), us.dtype), np.empty_like(us)
        dy, dh = seq_grad(self, dy), state_grad(dh_n, nb, nh, hs.dtype)
        t1, t2 = np.empty((nb, nh), hs.dtype), np.empty((nb, nh), hs.dtype)
        norms = np.empty(nt) if self.grad_norms is not None else None
        need_h0 = self.needs_input_grad[1]
        for k, t in enumerate(steps(nt, not reverse)):
            if dy is not None:
                dh += dy[t] if m is None else dy[t] * m[t]
            record_norms(self, norms, dh, t)
            carry = None if m is None else mask_split(dh, m[t])
            d, hp = dzh[t], hs[slots(t, reverse)[0]]
            r, z, n = rzs[t, :, :nh], rzs[t, :, nh:], ns[t]
            dar, daz, dan = d[:, :nh], d[:, nh:2 * nh], dn[t]
            np.subtract(1, z, out=t2)
            t2 *= dh  # δ(1 - z), shared by δaₙ and δa_z
            np.multiply(n, n, out=dan)
            np.subtract(1, dan, out=dan)
            dan *= t2
            np.subtract(hp, n, out=daz)
            daz *= t2
            daz *= z
            np.multiply(dan, us[t], out=dar)
            np.subtract(1, r, out=t2)
            t2 *= r
            dar *= t2
            np.multiply(dan, r, out=d[:, 2 * nh:])
            if k == nt - 1 and not need_h0:
                break
            np.multiply(dh, z, out=t1)
            np.matmul(d, self.w_hh, out=dh)
            dh += t1
            if carry is not None:
                dh += carry
        finish_norms(self, norms)
        return self._grads(dzh, dn, dh.reshape(self.state_shape) if need_h0 else None)

    def _grads(self, dzh, dn, dh0):
        need, w_ih, nh = self.needs_input_grad, self.w_ih, dn.shape[-1]
        d2 = dzh.reshape(-1, 3 * nh)  # (T, B, 3H) -> (T*B, 3H)
        n2 = dn.reshape(-1, nh)  # (T, B, H) -> (T*B, H)
        drz = d2[:, :2 * nh]  # a strided view: BLAS reads it in place
        dx = dw_ih = db_ih = db_hh = dw_hh = None
        if need[0]:
            dx = x_grad(self, drz @ w_ih[:2 * nh] + n2 @ w_ih[2 * nh:])
        if need[2]:
            dw_ih = np.concatenate([drz.T @ self.x2, n2.T @ self.x2])
        if need[3]:
            dw_hh = d2.T @ previous_of(self.hs, self.reverse).reshape(-1, nh)
        if len(need) > 4 and need[4]:
            db_ih = np.concatenate([drz.sum(axis=0), n2.sum(axis=0)])
        if len(need) > 5 and need[5]:
            db_hh = d2.sum(axis=0)
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh


def gru_sequence(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None,  # noqa: A002
                 reverse: bool = False, lengths=None, grad_norms: list | None = None,
                 batch_first: bool = False, layered: bool = False):
    """One GRU layer in one direction over input (T, B, I); returns
    (output (T, B, H), h_n (B, H)); batch_first, layered and ``hx`` as rnn_sequence."""
    return GRUFn.apply(input, hx, weight_ih, weight_hh, bias_ih, bias_hh, reverse=reverse,
                       lengths=lengths, grad_norms=grad_norms, batch_first=batch_first,
                       layered=layered)


def gru_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):  # noqa: A002
    """One GRU step for input (B, I), hx (B, H); returns h'."""
    return GRUFn.apply(input, hx, weight_ih, weight_hh, bias_ih, bias_hh)[1]
