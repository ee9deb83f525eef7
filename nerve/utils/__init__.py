"""``torch.utils`` for code that imports it: ``nerve.utils.data`` is nerve.data."""

from nerve.utils import data

__all__ = ["data"]
