"""LSTM over a whole sequence as one graph node (helpers: recurrent.py).

Unlike the RNN and GRU nodes, the LSTM keeps its per-step arrays *feature-major*:
gates (4H, B), states (H, B). The per-step product W_hh hᵀ is then BLAS's faster
orientation for small batches and lands in the layout of the gate block (no transposed
add), and every gate is a contiguous row block for the elementwise math. The input
projection of all steps is one batched call giving (T, 4H, B), step t a contiguous
block. BPTT writes ∂L/∂z of step t into the column block t of one (4H, T·B) matrix and
the previous states form one (H, T·B) matrix (hs is (H, T+1, B)), so the weight
gradients stay single GEMMs after the loop. Only the outputs and ∂L/∂y cross layouts.

With a projection (PyTorch's proj_size P < H) the recurrent state hₜ has P features:
hs is (P, T+1, B), and the unprojected rₜ = o ⊙ tanh cₜ of every step is kept as one
(H, T·B) matrix (forward) as are the δhₜ (P, T·B) (backward), so ∂L/∂W_hr is one GEMM too.
"""

from __future__ import annotations

import functools

from nerve.autograd.function import Function
from nerve.backend import array_module
from nerve.ops.nn import recurrent_shards
from nerve.ops.nn.recurrent import (
    as_sequence,
    blend,
    finish_norms,
    mask_split,
    project_fm,
    record_norms,
    seq_grad,
    seq_out,
    slots,
    state_grad,
    state_in,
    state_out,
    steps,
    time_mask,
    x_grad,
)

__all__: list[str] = []


@functools.lru_cache(maxsize=64)
def _gate_columns(xp, nh: int, dtype) -> tuple:
    """(4H, 1) scale s and shift s₀ of the gate rows: ½, ½ on i, f, o and 1, 0 on g,
    cached per array module (so on the device they are made once)."""
    s, s0 = xp.full((4 * nh, 1), 0.5, dtype), xp.full((4 * nh, 1), 0.5, dtype)
    s[2 * nh : 3 * nh], s0[2 * nh : 3 * nh] = 1, 0
    for v in (s, s0):  # shared through the cache: read-only where the module allows
        try:
            v.flags.writeable = False
        except AttributeError:  # CuPy arrays have no read-only flag
            pass
    return s, s0


def _gates(xp, a, nh: int) -> None:
    """Pre-activations (4H, B) -> [σ σ tanh σ] in place, one tanh for all four gates:
    σ(z) = ½ tanh(z/2) + ½ is stable for any z."""
    if a.shape[1] < 8:  # a column or a few (generation): four calls on the whole block
        s, s0 = _gate_columns(xp, nh, a.dtype)
        a *= s
        xp.tanh(a, out=a)
        a *= s
        a += s0
        return
    sig = (a[: 2 * nh], a[3 * nh :])  # i, f and o: contiguous row blocks
    for blk in sig:
        blk *= 0.5
    xp.tanh(a, out=a)
    for blk in sig:
        blk *= 0.5
        blk += 0.5


def _gate_slopes(xp, a, nh: int, out, tmp):
    """σ' = σ(1 - σ) on i, f, o and tanh' = (1 - g)(1 + g) on g, from the gates a."""
    xp.subtract(1, a, out=out)
    out[: 2 * nh] *= a[: 2 * nh]
    out[3 * nh :] *= a[3 * nh :]
    xp.add(a[2 * nh : 3 * nh], 1, out=tmp)
    out[2 * nh : 3 * nh] *= tmp
    return out


def _hidden_size(w_hh, w_hr) -> int:
    """H of a projected LSTM, after checking W_hh (4H, P) against W_hr (P, H)."""
    nh, npr = w_hh.shape[0] // 4, w_hh.shape[1]
    if w_hr.shape != (npr, nh) or w_hh.shape[0] != 4 * nh or not 0 < npr < nh:
        raise ValueError(
            f"weight_hr of shape {w_hr.shape} does not fit weight_hh of shape "
            f"{w_hh.shape}: expected (proj_size, hidden_size) = {(npr, nh)} with "
            "proj_size < hidden_size"
        )
    return nh


class LSTMFn(Function):
    """LSTM over a whole sequence (one layer, one direction), PyTorch's equations:
    [i f g o]ₜ = [σ σ tanh σ](xₜ W_ihᵀ + b_ih + hₜ₋₁ W_hhᵀ + b_hh),
    cₜ = f ⊙ cₜ₋₁ + i ⊙ g,  rₜ = o ⊙ tanh cₜ,  hₜ = rₜ;
    with a projection W_hr (P, H), P < H (proj_size): hₜ = rₜ W_hrᵀ, so hₜ, the output
    and W_hh's columns have P features while cₜ keeps H.

    BPTT with δhₜ = ∂L/∂hₜ and δcₜ = ∂L/∂cₜ (each from the output and from step t+1):
    δrₜ = δhₜ (projected: δrₜ = δhₜ W_hr);
    δcₜ += δrₜ ⊙ o ⊙ (1 - tanh² cₜ);  δo = δrₜ ⊙ tanh cₜ,  δi = δcₜ ⊙ g,  δf = δcₜ ⊙ cₜ₋₁,
    δg = δcₜ ⊙ i;  δzₜ = [δi δf δg δo] ⊙ gate′;  δhₜ₋₁ = δzₜ W_hh,  δcₜ₋₁ = δcₜ ⊙ f;
    ∂L/∂W_ih = Σₜ δzₜᵀ xₜ,  ∂L/∂W_hh = Σₜ δzₜᵀ hₜ₋₁,  ∂L/∂b = Σₜ δzₜ,  ∂L/∂xₜ = δzₜ W_ih,
    ∂L/∂W_hr = Σₜ δhₜᵀ rₜ.  ``grad_norms`` records ‖δhₜ‖ of the (projected) hₜ.
    """

    def forward(
        self,
        x,
        h0,
        c0,
        w_ih,
        w_hh,
        b_ih=None,
        b_hh=None,
        w_hr=None,
        reverse=False,
        lengths=None,
        grad_norms=None,
        batch_first=False,
        layered=False,
    ):
        xp = array_module(x)
        x = as_sequence(self, x, batch_first, layered)
        nt, nb, _ = x.shape
        nr = w_hh.shape[1]  # features of hₜ: hidden_size, or proj_size with W_hr
        nh = nr if w_hr is None else _hidden_size(w_hh, w_hr)
        h0 = state_in(self, "hx", h0, nb, nr)
        h_shape = self.state_shape
        c0 = state_in(self, "cx", c0, nb, nh)
        self.state_shapes = (h_shape, self.state_shape)
        self.shards = recurrent_shards.shards_for(self, x, nb, 4 * nh, grad_norms)
        if self.shards is not None:  # independent batch shards, one thread each
            time_mask(xp, lengths, nt, nb, x.dtype)  # checked on the whole batch
            y, (h, c) = recurrent_shards.forward(
                self, LSTMFn, self.shards, x, (h0, c0), (w_ih, w_hh, b_ih, b_hh, w_hr),
                lengths=lengths, reverse=reverse,
            )  # fmt: skip
            return seq_out(self, y), state_out(self, h), state_out(self, c)
        self.x2, p = project_fm(x, w_ih, None if b_ih is None else b_ih + b_hh)
        dt = p.dtype
        m = time_mask(xp, lengths, nt, nb, dt)
        self.m = None if m is None else m.transpose(0, 2, 1)  # (T, 1, B): broadcast over H
        # hs: (P, T+1, B) so that the previous states of all steps are one (P, T·B) matrix
        hs, cs = xp.empty((nr, nt + 1, nb), dt), xp.empty((nt + 1, nh, nb), dt)
        first = nt if reverse else 0
        hs[:, first] = 0 if h0 is None else h0.T
        cs[first] = 0 if c0 is None else c0.T
        self.hs, self.cs, self.tcs = hs, cs, xp.empty((nt, nh, nb), dt)
        self.acts = p  # the pre-activations become the gates in place
        self.w_ih, self.w_hh, self.reverse, self.grad_norms = w_ih, w_hh, reverse, grad_norms
        self.w_hr, self.rs = w_hr, None if w_hr is None else xp.empty((nh, nt, nb), dt)
        self._steps_forward()
        last = 0 if reverse else nt
        y = hs[:, :-1] if reverse else hs[:, 1:]  # (P, T, B)
        y = y.transpose(1, 2, 0)  # -> (T, B, P), a view
        return (
            seq_out(self, y if m is None else y * m),
            state_out(self, hs[:, last].T),
            state_out(self, cs[last].T),
        )

    def _steps_forward(self) -> None:
        acts, hs, cs, tcs, m, w_hh = self.acts, self.hs, self.cs, self.tcs, self.m, self.w_hh
        w_hr, rs = self.w_hr, self.rs
        nt, nh, nb = tcs.shape
        xp = array_module(tcs)
        t1, tmp = xp.empty((nh, nb), tcs.dtype), xp.empty((4 * nh, nb), tcs.dtype)
        th = t1 if w_hr is None else xp.empty((w_hr.shape[0], nb), tcs.dtype)
        for t in steps(nt, self.reverse):
            prev, out = slots(t, self.reverse)
            a, hp, cp, c, tc = acts[t], hs[:, prev], cs[prev], cs[out], tcs[t]
            a += xp.matmul(w_hh, hp, out=tmp)  # (4H, P) @ (P, B)
            _gates(xp, a, nh)
            xp.multiply(a[nh : 2 * nh], cp, out=c)
            xp.multiply(a[:nh], a[2 * nh : 3 * nh], out=t1)
            c += t1
            xp.tanh(c, out=tc)
            h = hs[:, out]
            if w_hr is None:
                xp.multiply(a[3 * nh :], tc, out=h)
            else:
                xp.multiply(a[3 * nh :], tc, out=rs[:, t])
                xp.matmul(w_hr, rs[:, t], out=h)  # (P, H) @ (H, B)
            if m is not None:
                blend(xp, h, hp, m[t], th)
                blend(xp, c, cp, m[t], t1)

    def backward(self, dy, dh_n, dc_n):
        if self.shards is not None:
            dy, shapes = seq_grad(self, dy), self.state_shapes
            states = [
                None if g is None else g.reshape(s[-2:]) for g, s in zip((dh_n, dc_n), shapes)
            ]
            grads = recurrent_shards.backward(self, dy, states, 3)
            if grads[0] is not None:
                grads[0] = x_grad(self, grads[0].reshape(-1, grads[0].shape[2]))
            for i, shape in ((1, shapes[0]), (2, shapes[1])):
                grads[i] = None if grads[i] is None else grads[i].reshape(shape)
            return tuple(grads)
        nt, nh, nb = self.tcs.shape
        dt, nr = self.tcs.dtype, self.hs.shape[0]
        xp = array_module(self.tcs)
        dy = seq_grad(self, dy)
        dh = state_grad(xp, dh_n, nb, nr, dt).T.copy()  # (P, B)
        dc = state_grad(xp, dc_n, nb, nh, dt).T.copy()  # (H, B)
        need_hr = len(self.needs_input_grad) > 7 and self.needs_input_grad[7]
        self.dhs = xp.empty((nr, nt, nb), dt) if need_hr else None  # the δhₜ for ∂L/∂W_hr
        dzs = xp.empty((nt, 4 * nh, nb), dt)  # δz of step t: a contiguous block, fresh memory
        norms = xp.empty(nt) if self.grad_norms is not None else None
        need_h0 = self.needs_input_grad[1] or self.needs_input_grad[2]
        self._steps_backward(dy, dh, dc, dzs, norms, need_h0)
        dz = xp.empty((4 * nh, nt, nb), dt)  # all steps' δz as one (4H, T·B) matrix
        xp.copyto(dz, dzs.transpose(1, 0, 2))  # runs of B contiguous values: cheap
        finish_norms(self, norms)
        h_shape, c_shape = self.state_shapes
        return self._grads(
            dz.reshape(4 * nh, nt * nb),
            dh.T.reshape(h_shape) if need_h0 else None,
            dc.T.reshape(c_shape) if need_h0 else None,
        )

    def _steps_backward(self, dy, dh, dc, dz, norms, need_h0) -> None:
        acts, cs, tcs, m, reverse = self.acts, self.cs, self.tcs, self.m, self.reverse
        nt, nh, nb = tcs.shape
        xp = array_module(tcs)
        t1, d4 = xp.empty((nh, nb), tcs.dtype), xp.empty((4 * nh, nb), tcs.dtype)
        w_hr, dhs = self.w_hr, self.dhs
        dr = dh if w_hr is None else xp.empty((nh, nb), tcs.dtype)  # δrₜ (H, B)
        for k, t in enumerate(steps(nt, not reverse)):
            if dy is not None:
                dh += dy[t].T if m is None else dy[t].T * m[t]
            record_norms(self, norms, dh, t)
            carry = None if m is None else (mask_split(dh, m[t]), mask_split(dc, m[t]))
            if w_hr is not None:
                if dhs is not None:
                    dhs[:, t] = dh
                xp.matmul(w_hr.T, dh, out=dr)  # (H, P) @ (P, B)
            a, tc, z = acts[t], tcs[t], dz[t]
            xp.multiply(tc, tc, out=t1)
            xp.subtract(1, t1, out=t1)
            t1 *= a[3 * nh :]
            t1 *= dr
            dc += t1
            xp.multiply(dc, a[2 * nh : 3 * nh], out=z[:nh])
            xp.multiply(dc, cs[slots(t, reverse)[0]], out=z[nh : 2 * nh])
            xp.multiply(dc, a[:nh], out=z[2 * nh : 3 * nh])
            xp.multiply(dr, tc, out=z[3 * nh :])
            z *= _gate_slopes(xp, a, nh, d4, t1)
            dc *= a[nh : 2 * nh]
            if k == nt - 1 and not need_h0:
                break
            xp.matmul(self.w_hh.T, z, out=dh)  # (P, 4H) @ (4H, B)
            if carry is not None:
                dh += carry[0]
                dc += carry[1]

    def _grads(self, dz2, dh0, dc0):
        """dz2 (4H, T·B): ∂L/∂W_ih = δz x,  ∂L/∂W_hh = δz hₚᵀ,  ∂L/∂x = δzᵀ W_ih,
        ∂L/∂W_hr = δh rᵀ as GEMMs."""
        need, nr = self.needs_input_grad, self.w_hh.shape[1]
        dx = x_grad(self, dz2.T @ self.w_ih) if need[0] else None
        hp = self.hs[:, 1:] if self.reverse else self.hs[:, :-1]  # (P, T, B)
        dw_hh = dz2 @ hp.reshape(nr, -1).T if need[4] else None
        db = dw_ih = None
        if self.x2.shape[1] > self.w_ih.shape[1]:  # x2 carries the bias's column of ones
            if need[3] or need[5] or need[6]:
                dw_aug = dz2 @ self.x2  # [∂L/∂W_ih | ∂L/∂b]
                dw_ih, db = dw_aug[:, :-1], dw_aug[:, -1]
        else:
            dw_ih = dz2 @ self.x2 if need[3] else None
            db = dz2.sum(axis=1) if len(need) > 5 and (need[5] or need[6]) else None
        if len(need) < 8:
            return dx, dh0, dc0, dw_ih, dw_hh, db, db
        dw_hr = None
        if self.dhs is not None:  # (P, T·B) @ (T·B, H)
            dw_hr = self.dhs.reshape(nr, -1) @ self.rs.reshape(self.rs.shape[0], -1).T
        return dx, dh0, dc0, dw_ih, dw_hh, db, db, dw_hr


def lstm_sequence(
    input,
    hx,
    cx,
    weight_ih,
    weight_hh,
    bias_ih=None,
    bias_hh=None,
    weight_hr=None,
    reverse: bool = False,
    lengths=None,
    grad_norms: list | None = None,
    batch_first: bool = False,
    layered: bool = False,
):
    """One LSTM layer in one direction over input (T, B, I); returns
    (output (T, B, H), h_n (B, H), c_n (B, H)); batch_first, layered and ``hx``/``cx``
    as rnn_sequence. With ``weight_hr`` (P, H) (proj_size P) output and h are projected:
    output (T, B, P), hx and h_n (B, P), and weight_hh is (4H, P)."""
    return LSTMFn.apply(
        input,
        hx,
        cx,
        weight_ih,
        weight_hh,
        bias_ih,
        bias_hh,
        weight_hr,
        reverse=reverse,
        lengths=lengths,
        grad_norms=grad_norms,
        batch_first=batch_first,
        layered=layered,
    )


def lstm_cell(
    input,
    hx,
    cx,
    weight_ih,
    weight_hh,
    bias_ih=None,
    bias_hh=None,
):
    """One LSTM step for input (B, I), states (B, H); returns (h', c')."""
    _, h, c = LSTMFn.apply(input, hx, cx, weight_ih, weight_hh, bias_ih, bias_hh)
    return h, c
