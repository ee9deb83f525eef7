"""Small datasets shipped inside nerve (no download)."""

from nerve.data.datasets.digits import Digits, load_digits

__all__ = ["Digits", "load_digits"]
