"""``torch.nn.modules.sparse``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.embedding import Embedding, EmbeddingBag

__all__ = ["Embedding", "EmbeddingBag"]
