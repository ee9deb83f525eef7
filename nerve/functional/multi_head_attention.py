"""multi_head_attention_forward: the computation of nn.MultiheadAttention as a composite of
linear, scaled dot-product attention and shape ops (their gradients compose)."""

from __future__ import annotations

import math

from nerve.autograd.function import wrap
from nerve.backend import array_module
from nerve.creation import zeros
from nerve.dtypes import bool as bool_
from nerve.dtypes import is_floating
from nerve.ops.nn.attention import scaled_dot_product_attention
from nerve.ops.nn.dropout import dropout
from nerve.ops.nn.linear import linear
from nerve.ops.shape.rearrange import cat, pad
from nerve.tensor import Tensor

__all__ = ["multi_head_attention_forward"]

# ruff: noqa: A002 - PyTorch's argument names


def _fail(msg: str):
    """PyTorch's multi-head attention reports bad shapes with AssertionError."""
    raise AssertionError(f"multi_head_attention_forward: {msg}")


def _check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """True for batched (L, N, E) input, False for unbatched (L, E); as PyTorch's checks."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            _fail(
                f"For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            _fail(
                f"For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D "
                f"but found {key_padding_mask.ndim}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            _fail(
                f"For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                f"but found {attn_mask.ndim}-D tensor instead"
            )
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            _fail(
                f"For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            _fail(
                f"For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or "
                f"1-D but found {key_padding_mask.ndim}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                _fail(
                    f"For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                    f"3-D but found {attn_mask.ndim}-D tensor instead"
                )
            want = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != want:
                _fail(f"Expected `attn_mask` shape to be {want} but got {tuple(attn_mask.shape)}")
        return False
    _fail(
        f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D "
        f"query tensor"
    )


def _additive(mask, name: str, query):
    """A bool mask (True = masked out) as 0/-inf of the query's dtype, on its device; a
    float one as is."""
    if mask is None:
        return None
    xp, dtype = array_module(query), query.dtype
    if not isinstance(mask, Tensor):
        mask = wrap(xp.asarray(mask))
    if mask.dtype == bool_:
        return wrap(xp.where(mask._data, -math.inf, 0).astype(dtype))
    if not is_floating(mask.dtype):
        _fail(f"only bool and floating types of {name} are supported, got {mask.dtype}")
    return mask if mask.dtype == dtype else mask.to(dtype)


def _project(query, key, value, e, in_proj_weight, in_proj_bias, separate, qkv_weights):
    bq = bk = bv = None
    if in_proj_bias is not None:
        bq, bk, bv = in_proj_bias[:e], in_proj_bias[e : 2 * e], in_proj_bias[2 * e :]
    if separate:
        wq, wk, wv = qkv_weights
        if wq is None or wk is None or wv is None:
            _fail(
                "use_separate_proj_weight is True but q_proj_weight, k_proj_weight or "
                "v_proj_weight is None"
            )
    else:
        if in_proj_weight is None:
            _fail("use_separate_proj_weight is False but in_proj_weight is None")
        if query is key and key is value:  # self-attention: one GEMM for the three
            return linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
        wq, wk, wv = in_proj_weight[:e], in_proj_weight[e : 2 * e], in_proj_weight[2 * e :]
    return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)


def _heads(x, static, bsz, num_heads, head_dim, name):
    """(S, N, E) -> (N, H, S, hd) as a view (E split into H·hd, then permuted: no copy), or
    the given static (N·H, S, hd) projection as (N, H, S, hd)."""
    if static is None:
        return x.reshape(x.shape[0], bsz, num_heads, head_dim).permute(1, 2, 0, 3)
    if tuple(static.shape[::2]) != (bsz * num_heads, head_dim):
        _fail(
            f"expecting static_{name} of shape ({bsz * num_heads}, S, {head_dim}), got "
            f"{tuple(static.shape)}"
        )
    return static.reshape(bsz, num_heads, static.shape[1], head_dim)


def multi_head_attention_forward(
    query,
    key,
    value,
    embed_dim_to_check,
    num_heads,
    in_proj_weight,
    in_proj_bias,
    bias_k,
    bias_v,
    add_zero_attn,
    dropout_p,
    out_proj_weight,
    out_proj_bias,
    training=True,
    key_padding_mask=None,
    need_weights=True,
    attn_mask=None,
    use_separate_proj_weight=False,
    q_proj_weight=None,
    k_proj_weight=None,
    v_proj_weight=None,
    static_k=None,
    static_v=None,
    average_attn_weights=True,
    is_causal=False,
):
    """Multi-head attention on sequence-first input (L, N, E) (or unbatched (L, E)):
    head h attends with softmax(Q_h K_hᵀ/√hd + mask) V_h, the heads are concatenated and
    projected by out_proj. Bool masks mark positions *not* to attend (True = masked out).
    Returns (output, weights); weights (N, L, S) averaged over heads, (N, H, L, S) if not
    ``average_attn_weights``, None without ``need_weights``."""
    batched = _check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, e = query.shape
    if e != embed_dim_to_check:
        _fail(f"was expecting embedding dimension of {embed_dim_to_check}, but got {e}")
    head_dim = e // num_heads
    if head_dim * num_heads != e:
        _fail(f"embed_dim {e} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            _fail(
                f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                f"{tuple(value.shape[:2])}"
            )
    elif tuple(key.shape) != tuple(value.shape):
        _fail(f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}")
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "multi_head_attention_forward: Need attn_mask if specifying the "
            "is_causal hint. You may use the Transformer module method "
            "`generate_square_subsequent_mask` to create this mask."
        )
    # PyTorch trusts the hint where SDPA can apply it: the mask is then not read at all
    causal_hint = is_causal and key_padding_mask is None and not need_weights
    if causal_hint:
        attn_mask = None
    dtype = query.dtype
    key_padding_mask = _additive(key_padding_mask, "key_padding_mask", query)
    attn_mask = _additive(attn_mask, "attn_mask", query)

    q, k, v = _project(
        query,
        key,
        value,
        e,
        in_proj_weight,
        in_proj_bias,
        use_separate_proj_weight,
        (q_proj_weight, k_proj_weight, v_proj_weight),
    )
    src_len = key.shape[0]
    if attn_mask is not None:
        want = (tgt_len, src_len) if attn_mask.ndim == 2 else (bsz * num_heads, tgt_len, src_len)
        if tuple(attn_mask.shape) != want:
            raise RuntimeError(
                f"multi_head_attention_forward: The shape of the "
                f"{attn_mask.ndim}D attn_mask is {tuple(attn_mask.shape)}, but "
                f"should be {want}."
            )
        if attn_mask.ndim == 2:
            attn_mask = attn_mask.unsqueeze(0)
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            _fail("bias cannot be added to static key or value")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    elif bias_k is not None or bias_v is not None:
        _fail("bias_k and bias_v must both be given or both be None")

    bh = bsz * num_heads
    # heads as (N, H, L, hd) views of the projections: every product below is batched over
    # (N, H) by matmul's broadcasting, so no head split is copied
    q = _heads(q, None, bsz, num_heads, head_dim, "q")
    k = _heads(k, static_k, bsz, num_heads, head_dim, "k")
    v = _heads(v, static_v, bsz, num_heads, head_dim, "v")
    if add_zero_attn:
        pad_kv = zeros(bsz, num_heads, 1, head_dim, dtype=dtype, device=query.device)
        k, v = cat([k, pad_kv], 2), cat([v, pad_kv], 2)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[2]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            _fail(
                f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                f"{tuple(key_padding_mask.shape)}"
            )
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bh, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if attn_mask is not None:  # (1 or N·H, L, S) -> (1 or N, 1 or H, L, S)
        attn_mask = (
            attn_mask.unsqueeze(0)
            if attn_mask.shape[0] == 1
            else attn_mask.reshape(bsz, num_heads, -1, src_len)
        )
    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-1, -2)  # (N, H, L, S)
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = scores.softmax(-1)  # a fully masked row is nan here, as in PyTorch
        if dropout_p > 0:
            weights = dropout(weights, dropout_p)
        out = weights @ v  # (N, H, L, hd)
        if average_attn_weights:
            weights = weights.mean(1)
    else:
        out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal=causal_hint)
        weights = None
    out = out.permute(2, 0, 1, 3).reshape(tgt_len * bsz, e)  # (L·N, E), heads concatenated
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, e)
    if not batched:
        out = out.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return out, weights
