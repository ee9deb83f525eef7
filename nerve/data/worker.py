"""Worker information (``torch.utils.data.get_worker_info``): nerve loads every batch in
the calling process, so there is never a worker."""

from __future__ import annotations


def get_worker_info():
    """Information about the current DataLoader worker process, or None in the main
    process. nerve loads every batch in the calling process (``num_workers`` is accepted
    and ignored), so this is always None: an IterableDataset that splits its stream by
    worker id sees a single worker and yields the whole stream once."""
    return None
