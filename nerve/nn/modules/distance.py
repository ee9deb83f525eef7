"""``torch.nn.modules.distance``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.distance import CosineSimilarity, PairwiseDistance

__all__ = ["CosineSimilarity", "PairwiseDistance"]
