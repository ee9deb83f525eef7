"""``torch.backends.cudnn``: cuDNN's switches, kept but without effect (nerve has no
cuDNN); their defaults are PyTorch's."""

from __future__ import annotations

import contextlib

__all__ = [
    "allow_tf32",
    "benchmark",
    "benchmark_limit",
    "deterministic",
    "enabled",
    "flags",
    "is_available",
    "version",
]

enabled = True
benchmark = False
benchmark_limit = None  # PyTorch's value where cuDNN is absent
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version() -> None:
    return None


@contextlib.contextmanager
def flags(
    enabled: bool = False,
    benchmark: bool = False,
    benchmark_limit: int = 10,
    deterministic: bool = False,
    allow_tf32: bool = True,
):
    """Set the flags inside the block and restore them after it, as PyTorch's does."""
    module = globals()
    names = ("enabled", "benchmark", "deterministic", "allow_tf32")
    saved = {n: module[n] for n in names}
    module.update(
        enabled=enabled, benchmark=benchmark, deterministic=deterministic, allow_tf32=allow_tf32
    )
    try:
        yield
    finally:
        module.update(saved)
