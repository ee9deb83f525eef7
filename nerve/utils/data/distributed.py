"""``torch.utils.data.distributed``: :class:`DistributedSampler`, which lives in
:mod:`nerve.data.distributed` (imported on first use, so that this path imports even
where that module's optional pieces are absent)."""

__all__ = ["DistributedSampler"]  # noqa: F822  (provided by __getattr__)


def __getattr__(name: str):
    if name == "DistributedSampler":
        from nerve.data.distributed import DistributedSampler

        return DistributedSampler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
