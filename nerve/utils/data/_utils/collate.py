"""``torch.utils.data._utils.collate``: the same functions as :mod:`nerve.data`."""

from nerve.data.dataloader import default_collate, default_convert

__all__ = ["default_collate", "default_convert"]
