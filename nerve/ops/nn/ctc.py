"""Connectionist temporal classification (Graves et al. 2006): the negative log-likelihood of
a label sequence summed over every alignment of it to the input frames, by the
forward-backward algorithm in log space.

The label sequence l is extended with blanks, l' = (∅, l₁, ∅, l₂, …, ∅), of length 2S+1.
Both recursions run over time only; each step updates every sample and every extended
position at once.
"""

from __future__ import annotations

import math

from nerve.autograd.function import Function, wrap
from nerve.backend import array_module, to_device, to_host
from nerve.backend.arrayfns import errstate
from nerve.dtypes import int64
from nerve.ops.shape.rearrange import squeeze, unsqueeze
from nerve.tensor import Tensor

__all__ = ["ctc_loss"]


def _shift(a, k: int):
    """a[..., s - k] at position s (-∞ where s < k)."""
    xp = array_module(a)
    out = xp.full_like(a, -math.inf)
    out[..., k:] = a[..., :-k] if k else a
    return out


def _unshift(a, k: int):
    """a[..., s + k] at position s (-∞ past the end)."""
    xp = array_module(a)
    out = xp.full_like(a, -math.inf)
    out[..., : a.shape[-1] - k] = a[..., k:]
    return out


class CTC(Function):
    """Per-sample loss -log p(l | x) with p = Σ_alignments Π_t y_t(π_t).
    α_t(s) = y_t(l'_s) · (α_{t-1}(s) + α_{t-1}(s-1) + [l'_s ≠ ∅, l'_s ≠ l'_{s-2}] α_{t-1}(s-2)),
    β likewise from the end, and p = Σ_s α_t(s) β_t(s) / y_t(l'_s) at any t, so
    ∂(-log p)/∂log y_t(c) = -Σ_{s: l'_s = c} α_t(s) β_t(s) / (y_t(c) p).
    As PyTorch, backward returns that plus y_t(c), i.e. the gradient already taken through a
    log_softmax that made log_probs (identical once it goes back through it, since the
    first term sums to -1 over c); frames past a sample's input length get 0."""

    def forward(
        self,
        lp,
        targets=None,
        input_lengths=None,
        target_lengths=None,
        blank=0,
        zero_infinity=False,
    ):
        xp = array_module(lp)
        t_max, n, _ = lp.shape
        s_ext = 2 * targets.shape[1] + 1
        ext = xp.full((n, s_ext), blank, dtype=int64)  # (N, 2S+1) extended labels
        ext[:, 1::2] = targets
        pos = xp.arange(s_ext)
        ext[pos[None, :] > 2 * target_lengths[:, None]] = blank
        skip = (ext != blank) & (ext != _shift_labels(ext))  # may jump over a blank
        rows = xp.arange(n)[:, None]
        emit = lp[:, rows, ext]  # (T, N, 2S+1): log y_t(l'_s)
        alpha = xp.full((t_max, n, s_ext), -math.inf, dtype=lp.dtype)
        alpha[0, :, 0] = emit[0, :, 0]
        alpha[0, :, 1] = xp.where(target_lengths > 0, emit[0, :, 1], -math.inf)
        with errstate(xp, invalid="ignore"):
            for t in range(1, t_max):
                a = alpha[t - 1]
                step = xp.logaddexp(a, _shift(a, 1))
                step = xp.where(skip, xp.logaddexp(step, _shift(a, 2)), step)
                alpha[t] = emit[t] + step
        last = input_lengths - 1
        end = 2 * target_lengths
        a_end = alpha[last, xp.arange(n)]  # (N, 2S+1)
        fin = xp.logaddexp(
            a_end[xp.arange(n), end],
            xp.where(end > 0, a_end[xp.arange(n), xp.maximum(end - 1, 0)], -math.inf),
        )
        nll = -fin
        self.saved = lp, ext, skip, emit, alpha, nll, input_lengths, end
        self.zero_infinity = zero_infinity
        if zero_infinity:
            nll = xp.where(xp.isinf(nll), 0, nll)
        return nll.astype(lp.dtype, copy=False)

    def backward(self, dy):
        lp, ext, skip, emit, alpha, nll, lengths, end = self.saved
        xp = array_module(lp)
        t_max, n, c = lp.shape
        s_ext = ext.shape[1]
        ns = xp.arange(n)
        beta = xp.full((n, s_ext), -math.inf, dtype=lp.dtype)
        skip_next = _unshift(skip, 2) == 1
        grad = xp.zeros_like(lp)
        onehot = xp.zeros((n, s_ext, c), dtype=lp.dtype)
        onehot[ns[:, None], xp.arange(s_ext)[None, :], ext] = 1
        with errstate(xp, invalid="ignore", divide="ignore", over="ignore"):
            for t in range(t_max - 1, -1, -1):
                step = xp.logaddexp(beta, _unshift(beta, 1))
                step = xp.where(skip_next, xp.logaddexp(step, _unshift(beta, 2)), step)
                beta = emit[t] + step
                start = lengths - 1 == t  # this frame is the sample's last
                init = xp.full((n, s_ext), -math.inf, dtype=lp.dtype)
                init[ns, end] = emit[t, ns, end]
                init[ns, xp.maximum(end - 1, 0)] = xp.where(
                    end > 0, emit[t, ns, xp.maximum(end - 1, 0)], init[ns, 0]
                )
                beta = xp.where(
                    start[:, None], init, xp.where(t < lengths[:, None] - 1, beta, -math.inf)
                )
                ab = alpha[t] + beta  # (N, 2S+1)
                m = xp.max(ab, axis=1, keepdims=True)
                m = xp.where(xp.isfinite(m), m, 0)
                acc = xp.einsum("ns,nsc->nc", xp.exp(ab - m), onehot)  # Σ over l'_s = c
                post = xp.exp(xp.log(acc) + m + nll[:, None] - lp[t])
                grad[t] = xp.where((t < lengths)[:, None], xp.exp(lp[t]) - post, 0)
        if self.zero_infinity:
            grad[:, xp.isinf(nll)] = 0
        return grad * dy[None, :, None]


def _shift_labels(ext):
    out = array_module(ext).full_like(ext, -1)
    out[:, 2:] = ext[:, :-2]
    return out


def _lengths(v, n: int, name: str):
    # lengths are read on the host (checks, padding), as PyTorch reads them
    a = to_host(v._data if isinstance(v, Tensor) else v).reshape(-1)
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"ctc_loss: {name} must be integers, got {a.dtype}")
    if a.shape[0] != n:
        raise RuntimeError(f"ctc_loss: {name} must be of size batch_size ({n}), got {a.shape[0]}")
    return a.astype(int64)


def _padded_targets(targets, target_lengths):
    tg = to_host(targets._data if isinstance(targets, Tensor) else targets)
    if tg.ndim == 2:
        return tg.astype(int64)
    # concatenated 1-D targets -> (N, max length), padded with 0
    s = int(target_lengths.max(initial=0))
    out = array_module(tg).zeros((len(target_lengths), s), dtype=int64)
    starts = target_lengths.cumsum() - target_lengths
    for i, (st, ln) in enumerate(zip(starts, target_lengths)):  # one slice per sample
        out[i, :ln] = tg[st : st + ln]
    return out


def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank=0,  # noqa: PLR0913
    reduction="mean",
    zero_infinity=False,
):
    """CTC loss of log_probs (T, N, C) (log_softmax outputs) against targets (N, S) padded
    or 1-D concatenated; 'mean' divides each loss by its target length, then averages."""

    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = unsqueeze(log_probs, 1)
        targets = to_host(targets._data if isinstance(targets, Tensor) else targets)[None]
    if log_probs.ndim != 3:
        raise RuntimeError(
            f"ctc_loss: expected log_probs of shape (T, N, C) or (T, C), got "
            f"{list(log_probs.shape)}"
        )
    t_max, n, c = log_probs.shape
    il = _lengths(input_lengths, n, "input_lengths")
    tl = _lengths(target_lengths, n, "target_lengths")
    tg = _padded_targets(targets, tl)
    if il.size and (il.max() > t_max or il.min() < 1):
        bad = il.max() if il.max() > t_max else il.min()
        raise RuntimeError(
            f"ctc_loss: Expected input_lengths to have value at most {t_max} "
            f"(and at least 1), but got value {bad}"
        )
    if tl.size and tl.max() > tg.shape[1]:
        raise RuntimeError(
            f"ctc_loss: Expected tensor to have size at least {tl.max()} at "
            f"dimension 1, but got size {tg.shape[1]} for argument #2 'targets'"
        )
    if not 0 <= blank < c:
        raise RuntimeError(f"ctc_loss: blank must be in label range [0, {c}), got {blank}")
    dev = log_probs.device
    tl = to_device(tl, dev)
    loss = CTC.apply(
        log_probs,
        targets=to_device(tg, dev),
        input_lengths=to_device(il, dev),
        target_lengths=tl,
        blank=blank,
        zero_infinity=zero_infinity,
    )
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        div = array_module(tl).maximum(tl, 1).astype(loss.dtype)
        return (loss / wrap(div)).mean()
    return squeeze(loss, 0) if unbatched else loss
