"""Multi-head attention: H heads of scaled dot-product attention over learned projections."""

from __future__ import annotations

import numpy as np

from nerve import dtypes
from nerve import functional as F
from nerve.nn import init
from nerve.nn.linear import Linear
from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.tensor import Tensor

# ruff: noqa: A002 - PyTorch's argument names


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under PyTorch's name for MultiheadAttention's out_proj (so reprs match)."""


class MultiheadAttention(Module):
    """MultiHead(Q, K, V) = Concat(head_1, ..., head_H) W_Oᵀ + b_O,
    head_h = softmax(Q W_Q,hᵀ (K W_K,hᵀ)ᵀ / √(E/H) + mask) V W_V,hᵀ.

    Shape: query (L, N, E) (``batch_first``: (N, L, E)) or unbatched (L, E); key (S, N, kdim),
    value (S, N, vdim). Output (L, N, E), and the attention weights (N, L, S) averaged over
    the heads, or (N, H, L, S) with ``average_attn_weights=False``.

    Parameters: in_proj_weight (3E, E) when kdim = vdim = E, otherwise q_proj_weight (E, E),
    k_proj_weight (E, kdim) and v_proj_weight (E, vdim), all xavier_uniform_; in_proj_bias
    (3E,) zeros; out_proj a Linear(E, E) with its default weight and a zero bias; bias_k and
    bias_v (1, 1, E) xavier_normal_ when ``add_bias_kv``.

    Masks: ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or (N·H, L, S); a bool mask
    marks with True the positions *not* to attend; a float mask is added to the scores.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got "
                f"embed_dim={embed_dim} and num_heads={num_heads} instead"
            )
        super().__init__()
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first = dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()

        def param(*shape):
            return Parameter(np.empty(shape, dt))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = param(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = param(embed_dim, embed_dim)
            self.k_proj_weight = param(embed_dim, self.kdim)
            self.v_proj_weight = param(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = param(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dt)
        if add_bias_kv:
            self.bias_k, self.bias_v = param(1, 1, embed_dim), param(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        batched = query.ndim == 3
        if self.batch_first and batched:
            query, key, value = _seq_first(query, key, value)
        separate = not self._qkv_same_embed_dim
        out, weights = F.multi_head_attention_forward(
            query,
            key,
            value,
            self.embed_dim,
            self.num_heads,
            self.in_proj_weight,
            self.in_proj_bias,
            self.bias_k,
            self.bias_v,
            self.add_zero_attn,
            self.dropout,
            self.out_proj.weight,
            self.out_proj.bias,
            training=self.training,
            key_padding_mask=key_padding_mask,
            need_weights=need_weights,
            attn_mask=attn_mask,
            use_separate_proj_weight=separate,
            q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights,
            is_causal=is_causal,
        )
        if self.batch_first and batched:
            out = out.transpose(0, 1)
        return out, weights


def _seq_first(query, key, value):
    """(N, L, E) -> (L, N, E), keeping self-attention's query is key is value (one GEMM)."""
    if key is value:
        if query is key:
            query = key = value = query.transpose(0, 1)
        else:
            query, key = query.transpose(0, 1), key.transpose(0, 1)
            value = key
    else:
        query, key, value = (x.transpose(0, 1) for x in (query, key, value))
    return query, key, value
