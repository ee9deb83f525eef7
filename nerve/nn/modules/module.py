"""``torch.nn.modules.module``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.module import Module

__all__ = ["Module"]
