"""``torch.nn.modules.flatten``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.flatten import Flatten, Unflatten

__all__ = ["Flatten", "Unflatten"]
