"""Embedding: a learnable lookup table, one row per token."""

from __future__ import annotations

import numpy as np

from nerve import dtypes
from nerve.nn import init
from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.ops.embedding import embedding
from nerve.tensor import Tensor


class Embedding(Module):
    """y = weight[input]:  input (*) of integers, output (*, embedding_dim).

    weight (num_embeddings, embedding_dim) is drawn from N(0, 1); the row ``padding_idx``
    is zero and gets no gradient, so it stays a fixed "no token" vector.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight=None,
                 _freeze: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: max_norm, scale_grad_by_freq and sparse are "
                                      "not supported")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        if _weight is None:
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dt),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError("Shape of weight does not match num_embeddings and "
                                     "embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, input) -> Tensor:  # noqa: A002 - PyTorch's argument names
        idx = input if isinstance(input, Tensor) else Tensor._wrap(np.asarray(input))
        try:
            return embedding(idx, self.weight, self.padding_idx)
        except IndexError as err:
            raise IndexError(f"Embedding({self.num_embeddings}, {self.embedding_dim}): {err}") \
                from None
        except TypeError as err:
            raise TypeError(f"Embedding({self.num_embeddings}, {self.embedding_dim}): {err}") \
                from None

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, max_norm=None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, sparse: bool = False) -> Embedding:
        if embeddings.ndim != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
