"""Keep freed large arrays in the process heap instead of handing them back to the OS.

glibc serves big allocations (activations, im2col matrices: megabytes each) by mmap and
unmaps them on free, so every training step pays a page fault and the kernel's zeroing for
every 4 KiB page of every fresh array: a third of a small CNN's step. Raising the mmap
and trim thresholds lets malloc reuse the freed blocks of the previous step, which is what
the caching allocators of the big frameworks do. Nothing changes when the user tuned these
thresholds already (MALLOC_*_THRESHOLD_, GLIBC_TUNABLES), with NERVE_MALLOC_TUNING=0, or
off glibc.
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 256 << 20  # arrays above this (rare, huge) still get their own mapping
TRIM_THRESHOLD = 1 << 30  # at most this much freed memory is kept for reuse (1 GiB)
_USER_KEYS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def tune() -> bool:
    """Raise glibc's mmap/trim thresholds once; True when applied."""
    if not sys.platform.startswith("linux") or os.environ.get("NERVE_MALLOC_TUNING") == "0":
        return False
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if any(k in os.environ for k in _USER_KEYS) or "threshold" in tunables:
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another libc: leave it alone
        return False
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


TUNED = tune()
