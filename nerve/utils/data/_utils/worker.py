"""``torch.utils.data._utils.worker``: nerve loads in the calling process, so
:func:`get_worker_info` is always None."""

from nerve.data.worker import get_worker_info

__all__ = ["get_worker_info"]
