"""Scaled dot-product attention: one node for scores, softmax, dropout and the weighted sum."""

from __future__ import annotations

import functools
import math

from nerve.autograd.function import Function, wrap
from nerve.backend import array_module, blas, is_device_array, parallel
from nerve.backend.arrayfns import broadcast_shapes
from nerve.dtypes import bool as bool_
from nerve.dtypes import float32
from nerve.ops.math.elementwise import Where
from nerve.ops.nn.activation import Softmax
from nerve.ops.nn.dropout import _mask
from nerve.tensor import Tensor

__all__ = ["scaled_dot_product_attention"]

# ruff: noqa: A002 - PyTorch's argument names (query, key, value)


class ScaledDotProductAttention(Function):
    """O = P V,  P = softmax_row(S),  S = scale · Q Kᵀ + M  for Q (..., L, E), K (..., S, E),
    V (..., S, Ev), the batch dims broadcast as in matmul. M is an additive float mask, or
    -∞ where a bool mask (True = take part) or the causal triangle excludes a key. A row
    with every key excluded gets P = 0 (so O = 0 and no gradient), as PyTorch does.

    With dropout, O = (P ⊙ D) V where D = keep/(1 - p). With δ = ∂L/∂O:
    ∂L/∂V = (P ⊙ D)ᵀ δ,  dP = (δ Vᵀ) ⊙ D,
    dS = P ⊙ (dP - rowsum(dP ⊙ P))   (softmax's Jacobian, never formed),
    ∂L/∂Q = scale · dS K,  ∂L/∂K = scale · dSᵀ Q,  ∂L/∂M = dS.
    Without dropout rowsum(dP ⊙ P) = rowsum(δ ⊙ O), one (L, Ev) product instead of (L, S).
    """

    def forward(self, q, k, v, mask=None, keep=None, scale=1.0, drop=None, causal=False):
        # The scores are kept transposed, Sᵀ (..., S, L): the softmax's max and sum then
        # run down the columns, which NumPy vectorises across L (about 4x faster than
        # along each row), and every product reads Sᵀ through BLAS's transpose flag.
        # The scale goes on Q (L·E numbers), not on S (L·S): the same product, a smaller
        # pass.
        xp = array_module(q)
        qs = q * xp.asarray(scale, dtype=q.dtype)
        lq, sk = q.shape[-2], k.shape[-2]
        extra = [m.shape[:-2] for m in (mask, keep, drop) if m is not None]
        batch = broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2], *extra)
        bq, bk, bv = (xp.broadcast_to(a, (*batch, *a.shape[-2:])) for a in (qs, k, v))
        pt = xp.empty((*batch, sk, lq), q.dtype)
        o = xp.empty((*batch, lq, v.shape[-1]), q.dtype)
        # the masks transposed once, contiguous (adding a transposed view is ~5x slower);
        # an additive 0/-∞ bias: one in-place add, not xp.where
        bias = mt = dropt = None
        if keep is not None and causal:
            bias = _causal_bias_t(lq, sk, q.dtype, xp)
        elif keep is not None:
            bias = _transposed(xp.where(keep, 0, -math.inf).astype(q.dtype))
        if mask is not None:
            mt = _transposed(mask)
        if drop is not None:
            dropt = _transposed(drop)
        full_t = (*batch, sk, lq)
        bias, mt, dropt = (
            None if a is None else xp.broadcast_to(a, full_t) for a in (bias, mt, dropt)
        )

        def part(i):  # i: an index (or slice) of the leading batch axis, or ()
            st = xp.matmul(bk[i], xp.swapaxes(bq[i], -1, -2), out=pt[i])  # Sᵀ = K (sQ)ᵀ
            if mt is not None:
                st += mt[i]
            if bias is not None:
                st += bias[i]
            _softmax_(st, axis=-2)
            pd = st if dropt is None else st * dropt[i]
            xp.matmul(xp.swapaxes(pd, -1, -2), bv[i], out=o[i])  # O = (Pᵀ)ᵀ V

        _over_chunks(part, pt)
        self.qs, self.pt, self.drop, self.keep, self.causal = bq, pt, dropt, keep, causal
        self.k, self.v, self.scale, self.o = bk, bv, scale, o
        return o

    def backward(self, do):
        need = (*self.needs_input_grad, False)
        pt, dropt, scale, xp = self.pt, self.drop, self.scale, array_module(do)
        qs, k, v = self.qs, self.k, self.v
        do = xp.broadcast_to(do, self.o.shape)
        dv = xp.empty(v.shape, do.dtype) if need[2] else None
        dq = xp.empty(qs.shape, do.dtype) if need[0] else None
        dk = xp.empty(k.shape, do.dtype) if need[1] else None
        dmt = xp.empty(pt.shape, do.dtype) if need[3] else None
        scale_ = xp.asarray(scale, dtype=do.dtype)

        def part(i):
            pi = pt[i]
            if need[2]:
                xp.matmul(pi if dropt is None else pi * dropt[i], do[i], out=dv[i])  # Pᵀ δ
            if need[0] or need[1] or need[3]:
                out = None if dmt is None else dmt[i]
                dst = xp.matmul(v[i], xp.swapaxes(do[i], -1, -2), out=out)  # dPᵀ = V δᵀ
                if dropt is None:
                    row = (do[i] * self.o[i]).sum(axis=-1)[..., None, :]
                else:
                    dst *= dropt[i]
                    row = (dst * pi).sum(axis=-2, keepdims=True)
                dst -= row
                dst *= pi  # dSᵀ
                if need[0]:
                    xp.matmul(xp.swapaxes(dst, -1, -2), k[i], out=dq[i])
                    dq[i] *= scale_
                if need[1]:
                    xp.matmul(dst, qs[i], out=dk[i])  # scale · dSᵀ Q

        _over_chunks(part, pt)
        return dq, dk, dv, (None if dmt is None else xp.swapaxes(dmt, -1, -2))

    def backward_graph(self, do):
        """The same rule on P recomputed from Q, K (and M) with nerve ops."""

        q, k, v, mask = (*self.parents, None)[:4]
        keep = self.keep
        need, drop, scale = self.needs_input_grad, self.drop, self.scale
        if drop is not None:  # the forward keeps the dropout mask transposed, as Sᵀ
            drop = array_module(drop).swapaxes(drop, -1, -2)
        s = q @ k.transpose(-1, -2) * scale
        if mask is not None:
            s = s + mask
        empty, xp = None, array_module(do)
        if keep is not None:
            empty = ~keep.any(axis=-1, keepdims=True)  # rows without any key: P = 0
            s = Where.apply(keep | empty, s, xp.asarray(-math.inf, dtype=s.dtype))
        p = Softmax.apply(s, dim=-1)
        if empty is not None and empty.any():
            p = Where.apply(~empty, p, xp.zeros((), p.dtype))
        pd = p if drop is None else p * drop
        dq = dk = dv = dm = None
        if need[2]:
            dv = pd.transpose(-1, -2) @ do
        if need[0] or need[1] or (len(need) > 3 and need[3]):
            dp = do @ v.transpose(-1, -2)
            if drop is not None:
                dp = dp * drop
            ds = p * (dp - (dp * p).sum(dim=-1, keepdim=True))
            dq = ds @ k * scale if need[0] else None
            dk = ds.transpose(-1, -2) @ q * scale if need[1] else None
            dm = ds if len(need) > 3 and need[3] else None
        return dq, dk, dv, dm


# A chunk's scores (S = P, in place) stay in the core's cache through the softmax's
# passes and the products on either side of it.
_CHUNK_BYTES = 1 << 18


def _over_chunks(part, p) -> None:
    """part(i) for chunks i of the leading batch axis of the scores p (all of p when there
    is no batch axis), about _CHUNK_BYTES of scores each. The chunks run on the threads
    nerve's passes split over, each with one BLAS thread: small per-head products gain
    nothing from BLAS's own threads (measured 0.9 ms on one thread against 2.4 ms on two
    for the (64, 128, 32) @ (64, 32, 128) scores), and on a busy machine lose much more.
    As many threads as the load leaves BLAS (nerve/backend/threads.py), at least one."""
    if p.ndim == 2:
        part(())
        return
    n, per = p.shape[0], p[0].nbytes
    step = max(1, _CHUNK_BYTES // max(per, 1))

    def run(lo, hi):
        for a in range(lo, hi, step):
            part(slice(a, min(a + step, hi)))

    free = blas.get() if blas.available() else 1  # what the load watcher leaves BLAS
    with blas.one_thread():
        if min(parallel.num_threads(), free) < 2 or is_device_array(p):
            run(0, n)
        else:
            parallel.over_batch(run, n, p.nbytes, like=p)


def _softmax_(s, axis=-1):
    """softmax along ``axis``, overwriting s. A row with every key excluded (max -∞)
    is shifted by 0, so its exps are 0 and its sum is taken as 1: P = 0, not nan."""
    xp = array_module(s)
    mx = s.max(axis=axis, keepdims=True)
    mx[~xp.isfinite(mx)] = 0
    s -= mx
    xp.exp(s, out=s)
    z = s.sum(axis=axis, keepdims=True)
    z[z == 0] = 1
    s *= xp.reciprocal(z, out=z)  # one division per row, a product per score
    return s


def attention_reference(q, k, v, mask=None, keep=None, scale=1.0):
    """O = softmax(scale · Q Kᵀ + M, excluded keys -∞) V, as written: what the in-place
    forward must equal (rows without any key give 0)."""
    xp = array_module(q)
    s = scale * (q @ xp.swapaxes(k, -1, -2))
    if mask is not None:
        s = s + mask
    if keep is not None:
        s = xp.where(keep, s, -math.inf)
    mx = xp.max(s, axis=-1, keepdims=True)
    e = xp.exp(s - xp.where(xp.isfinite(mx), mx, 0))
    z = e.sum(axis=-1, keepdims=True)
    return (e / xp.where(z == 0, 1, z)) @ v


@functools.lru_cache(maxsize=16)
def _causal_keep(lq: int, sk: int, xp=None):
    """Query i sees keys 0..i (top-left aligned), in the array module ``xp`` (NumPy's by
    default); read-only, shared by every call on that device."""
    xp = array_module() if xp is None else xp
    return _read_only(xp.tril(xp.ones((lq, sk), bool_)))


@functools.lru_cache(maxsize=16)
def _causal_bias_t(lq: int, sk: int, dtype, xp):
    """The causal triangle's additive bias, transposed (S, L): 0 where key j ≤ query i."""
    return _read_only(_transposed(xp.where(_causal_keep(lq, sk, xp), 0, -math.inf).astype(dtype)))


def _transposed(a):
    """a with its last two axes swapped, as a contiguous array."""
    return array_module(a).ascontiguousarray(array_module(a).swapaxes(a, -1, -2))


def _read_only(a):
    try:
        a.flags.writeable = False
    except AttributeError:  # CuPy arrays have no read-only flag
        pass
    return a


def _check(query, key, value, attn_mask) -> None:
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(
            f"scaled_dot_product_attention: Expected query, key, and value to all "
            f"be at least 2 dimensional, but got query.dim: {query.ndim} "
            f"key.dim: {key.ndim} and value.dim: {value.ndim} instead."
        )
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(
            f"scaled_dot_product_attention: Expected query, key, and value to "
            f"have the same dtype, but got query.dtype: {query.dtype} key.dtype: "
            f"{key.dtype} and value.dtype: {value.dtype} instead."
        )
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query and key must have the same "
            f"embedding size (last dim), got query {tuple(query.shape)} and key "
            f"{tuple(key.shape)}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: key and value must have the same "
            f"sequence length (dim -2), got key {tuple(key.shape)} and value "
            f"{tuple(value.shape)}"
        )
    if attn_mask is not None and attn_mask.dtype not in (bool_, float32, query.dtype):
        raise RuntimeError(
            f"scaled_dot_product_attention: Expected attn_mask dtype to be bool "
            f"or float or to match query dtype, but got attn_mask.dtype: "
            f"{attn_mask.dtype} and query.dtype: {query.dtype} instead."
        )


def _group_heads(query, key, value, attn_mask):
    """GQA: query heads (..., Hq, L, E) as (..., Hk, Hq/Hk, L, E) against key/value heads
    (..., Hk, 1, S, E), so each key head serves its Hq/Hk query heads by broadcasting (no
    repeated copy of K and V)."""
    hq, hk = query.shape[-3], key.shape[-3]
    if hk != value.shape[-3] or hq % hk:
        raise RuntimeError(
            f"scaled_dot_product_attention: Number of heads in key and value "
            f"must divide the number of heads in query, got query "
            f"{tuple(query.shape)}, key {tuple(key.shape)}, value "
            f"{tuple(value.shape)}"
        )
    g = hq // hk
    query = query.reshape(*query.shape[:-3], hk, g, *query.shape[-2:])
    key, value = key.unsqueeze(-3), value.unsqueeze(-3)
    if attn_mask is not None and attn_mask.ndim >= 3:
        if attn_mask.shape[-3] == hq:
            attn_mask = attn_mask.reshape(*attn_mask.shape[:-3], hk, g, *attn_mask.shape[-2:])
        else:
            attn_mask = attn_mask.unsqueeze(-3)
    return query, key, value, attn_mask


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False
):
    """softmax(Q Kᵀ · scale + mask) V over the last two dims; see
    ``ScaledDotProductAttention``. ``scale`` defaults to 1/√E; ``is_causal`` lets query i see
    keys 0..i (the top-left aligned lower triangle) and excludes ``attn_mask``;
    ``enable_gqa`` lets Hq query heads (dim -3) share Hk key/value heads. ``dropout_p``
    applies whenever it is > 0 (the functional form has no training flag)."""
    if attn_mask is not None and not isinstance(attn_mask, Tensor):
        attn_mask = wrap(array_module(query).asarray(attn_mask))
    _check(query, key, value, attn_mask)
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True"
        )
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    lq, sk = query.shape[-2], key.shape[-2]
    grouped = enable_gqa and min(query.ndim, key.ndim) >= 3 and query.shape[-3] != key.shape[-3]
    out_shape = None
    if grouped:
        q_shape = tuple(query.shape)
        query, key, value, attn_mask = _group_heads(query, key, value, attn_mask)
        out_shape = (*q_shape[:-1], value.shape[-1])
    batch = _batch_shape(query, key, value, attn_mask, lq, sk)
    keep = _causal_keep(lq, sk, array_module(query)) if is_causal else None
    mask = None
    if attn_mask is not None and attn_mask.dtype == bool_:
        keep = attn_mask._data
    elif attn_mask is not None:
        mask = attn_mask if attn_mask.dtype == query.dtype else attn_mask.to(query.dtype)
    drop = None
    if dropout_p > 0:
        drop = _mask((*batch, lq, sk), query._data, dropout_p)
    out = ScaledDotProductAttention.apply(
        query, key, value, mask, keep=keep, scale=scale, drop=drop, causal=is_causal
    )
    return out if out_shape is None else out.reshape(out_shape)


def _batch_shape(query, key, value, attn_mask, lq, sk) -> tuple:
    shapes = [tuple(query.shape[:-2]), tuple(key.shape[:-2]), tuple(value.shape[:-2])]
    try:
        batch = broadcast_shapes(*shapes)
        if attn_mask is not None:
            full = broadcast_shapes((*batch, lq, sk), tuple(attn_mask.shape))
            if full != (*batch, lq, sk):
                raise ValueError
    except ValueError:
        raise RuntimeError(
            f"scaled_dot_product_attention: the batch dims of query "
            f"{tuple(query.shape)}, key {tuple(key.shape)}, value "
            f"{tuple(value.shape)} and attn_mask "
            f"{None if attn_mask is None else tuple(attn_mask.shape)} (which must "
            f"broadcast to (..., {lq}, {sk})) do not broadcast"
        ) from None
    return batch
