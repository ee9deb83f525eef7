"""``torch.utils.data._utils``: collate and worker helpers under PyTorch's private path,
which real programs import (``from torch.utils.data._utils.collate import default_collate``)."""

from nerve.utils.data._utils import collate, worker

__all__ = ["collate", "worker"]
