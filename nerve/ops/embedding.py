"""Embedding lookup: a table row per index."""

from __future__ import annotations

import numpy as np

from nerve.autograd.function import Function


class EmbeddingFn(Function):
    """y[…, :] = W[idx[…], :]  for an integer index tensor of any shape.

    ∂L/∂W[k] = Σ over the positions where idx = k of δ (a scatter-add); the row
    ``padding_idx`` gets no gradient. The index takes no gradient.
    """

    def forward(self, weight, indices, padding_idx=None):
        if indices.dtype.kind not in "iu":
            raise TypeError("embedding: expected an integer index tensor (Long or Int), got "
                            f"dtype {indices.dtype}")
        n = weight.shape[0]
        if indices.size and (indices.min() < -n or indices.max() >= n):
            raise IndexError(f"embedding: index out of range in self (indices "
                             f"{indices.min()}..{indices.max()}, table of {n} rows)")
        self.indices, self.shape, self.padding_idx = indices, weight.shape, padding_idx
        return weight[indices]  # numpy's take along axis 0: (*idx, D)

    def backward(self, dy):
        n, d = self.shape
        idx = self.indices.reshape(-1) % n
        dw = np.zeros(self.shape, dy.dtype)
        # sorted segment sums beat np.add.at by far for many repeated indices
        order = np.argsort(idx, kind="stable")
        rows, starts = np.unique(idx[order], return_index=True)
        if rows.size:
            dw[rows] = np.add.reduceat(dy.reshape(-1, d)[order], starts, axis=0)
        if self.padding_idx is not None:
            dw[self.padding_idx] = 0
        return dw, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,  # noqa: A002
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input``."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not "
                                  "supported")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D, got shape {tuple(weight.shape)}")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    return EmbeddingFn.apply(weight, input, padding_idx=padding_idx)
