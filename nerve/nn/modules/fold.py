"""``torch.nn.modules.fold``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.fold import Fold, Unfold

__all__ = ["Fold", "Unfold"]
