"""Embedding: a learnable lookup table, one row per token; EmbeddingBag: the rows of a bag
of tokens summed, averaged or max-pooled."""

from __future__ import annotations

import numpy as np

from nerve import dtypes
from nerve.nn import init
from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.ops.nn.embedding import embedding, embedding_bag
from nerve.tensor import Tensor


class Embedding(Module):
    """y = weight[input]:  input (*) of integers, output (*, embedding_dim).

    weight (num_embeddings, embedding_dim) is drawn from N(0, 1); the row ``padding_idx``
    is zero and gets no gradient, so it stays a fixed "no token" vector. With ``max_norm``
    every row looked up whose ``norm_type``-norm exceeds it is first rescaled in place to
    norm ``max_norm``; with ``scale_grad_by_freq`` a row's gradient is divided by how often
    its index occurs in the mini-batch.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight=None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if sparse:
            raise NotImplementedError("Embedding: sparse gradients are not supported")
        padding_idx = _padding(padding_idx, num_embeddings)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        if _weight is None:
            self.weight = Parameter(
                np.empty((num_embeddings, embedding_dim), dt), requires_grad=not _freeze
            )
            self.reset_parameters()
        else:
            self.weight = _given_weight(_weight, num_embeddings, embedding_dim, _freeze)

    def reset_parameters(self) -> None:
        _reset(self.weight, self.padding_idx)

    def forward(self, input) -> Tensor:  # noqa: A002 - PyTorch's argument names
        idx = input if isinstance(input, Tensor) else Tensor._wrap(np.asarray(input))
        try:
            return embedding(
                idx,
                self.weight,
                self.padding_idx,
                self.max_norm,
                self.norm_type,
                self.scale_grad_by_freq,
            )
        except IndexError as err:
            raise IndexError(
                f"Embedding({self.num_embeddings}, {self.embedding_dim}): {err}"
            ) from None
        except TypeError as err:
            raise TypeError(
                f"Embedding({self.num_embeddings}, {self.embedding_dim}): {err}"
            ) from None

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm=None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """A layer around ``embeddings`` (rows, dim), sharing its memory; ``padding_idx``
        marks the row that gets no gradient (its values are kept, not zeroed)."""
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(
            rows,
            cols,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=embeddings,
            _freeze=freeze,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s + _norm_repr(self) + (", sparse=True" if self.sparse else "")


class EmbeddingBag(Module):
    """y[b] = reduce over the bag b of weight[input[p]], reduce = sum, mean or max.

    Shape: input (B, N) of B bags of N indices with offsets None, or input (L,) with
    offsets (B,) the start of each bag (B+1 entries, the last the end of the last bag,
    when ``include_last_offset``); output (B, embedding_dim). ``per_sample_weights``
    (the shape of input) scale each row in mode "sum". Entries equal to ``padding_idx``
    are left out of their bag (and out of the mean's count); an empty bag gives zeros.
    weight (num_embeddings, embedding_dim) is drawn from N(0, 1), the padding row zero.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight=None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if sparse:
            raise NotImplementedError("EmbeddingBag: sparse gradients are not supported")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.mode, self.sparse = scale_grad_by_freq, mode, sparse
        self.include_last_offset = include_last_offset
        self.padding_idx = _padding(padding_idx, num_embeddings)
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        if _weight is None:
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dt))
            self.reset_parameters()
        else:
            self.weight = _given_weight(_weight, num_embeddings, embedding_dim, False)

    def reset_parameters(self) -> None:
        _reset(self.weight, self.padding_idx)

    def forward(self, input, offsets=None, per_sample_weights=None) -> Tensor:
        return embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        max_norm=None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(
            rows,
            cols,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            mode,
            sparse,
            _weight=embeddings,
            include_last_offset=include_last_offset,
            padding_idx=padding_idx,
        )
        bag.weight.requires_grad = not freeze
        return bag

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}" + _norm_repr(self)
        s += f", mode='{self.mode}'"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


def _padding(padding_idx: int | None, num_embeddings: int) -> int | None:
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx % num_embeddings


def _given_weight(weight, num_embeddings: int, embedding_dim: int, freeze: bool) -> Parameter:
    if tuple(weight.shape) != (num_embeddings, embedding_dim):
        raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
    return Parameter(weight, requires_grad=not freeze)


def _reset(weight: Parameter, padding_idx: int | None) -> None:
    init.normal_(weight)
    if padding_idx is not None:
        weight._data[padding_idx] = 0


def _norm_repr(m: Module) -> str:
    s = f", max_norm={m.max_norm}" if m.max_norm is not None else ""
    s += f", norm_type={m.norm_type}" if m.norm_type != 2 else ""
    return s + (", scale_grad_by_freq=True" if m.scale_grad_by_freq else "")
