"""``torch.utils.data.dataloader``: the same objects as :mod:`nerve.data`."""

from nerve.data.dataloader import DataLoader, default_collate, default_convert
from nerve.data.worker import get_worker_info

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]
