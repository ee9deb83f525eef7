"""Convolutions on several cores: the batch cut into shards, one thread each.

The samples of a batch never interact in a convolution: rows lo..hi of the batch are a
convolution of their own with the same kernels. A large enough conv is therefore cut into
S contiguous shards (S = ``nerve.get_num_threads()``), each shard runs the serial path of
``Conv`` (its own padding, im2col or Winograd tiles, GEMMs and col2im) in its own thread,
and the results are joined: outputs and input gradients side by side along the batch,
kernel and bias gradients summed, since the loss is a sum over samples:

    y[lo:hi] = conv(x[lo:hi], w),   ∂L/∂x[lo:hi] = ∂L/∂x⁽ᵏ⁾,   ∂L/∂W = Σₖ ∂L/∂W⁽ᵏ⁾.

Why: on two cores the serial path keeps both busy only inside its GEMMs (BLAS threads
them) and inside the passes ``over_batch`` splits; between them one core waits, and a
pass right after a two-thread GEMM shares its cores with BLAS's still-spinning helper.
With shards, everything a shard does runs beside the other shard, BLAS one thread per
call (two shards each calling a two-thread GEMM fight over the same two cores), and the
nested ``over_batch`` passes run whole inside their shard.

When (``shards_for``): host arrays, 2-D, at least two threads (and two BLAS threads: the
load watcher's verdict that two cores are free) and two samples, and at least MIN_MACS
multiply-adds (below that the hand-off costs more than the second core
gives). ``ENABLED`` turns it on (the serial path is the reference the shards are tested
against).

Off by default (``NERVE_CONV_SHARDS=1`` turns it on): measured on 2 cores (SkylakeX
kernel, load 0.5-0.9), cnn_train's step took 29.6, 29.9, 27.9 ms with shards against
25.3, 25.0, 23.9 ms without, alternating processes (/tmp/cnn_toggle.py, not in the repo),
and resnet_train tied (259/241 against 275/237 ms); the start of the session's serial
path took 27.3 and 27.1 ms.
"""

from __future__ import annotations

import math
import os

from nerve.backend import array_module, blas, is_device_array, parallel

__all__: list[str] = []

ENABLED = os.environ.get("NERVE_CONV_SHARDS") == "1"
MIN_MACS = 1 << 23  # multiply-adds of the whole conv: ~1 ms of one core's BLAS


def threads() -> int:
    """Shards per conv: the threads nerve's passes split over, at most the BLAS threads
    the load watcher (nerve/backend/threads.py) leaves: on a busy machine it drops BLAS
    to the free cores, and a shard on a core another process holds only makes the other
    shard wait (measured: 45 against 35-40 ms per cnn_train step at load average 2.3)."""
    k = parallel.num_threads()
    return min(k, blas.get()) if blas.available() else k


def shards_for(x, w, out_size: tuple, groups: int) -> list | None:
    """The (lo, hi) batch rows of each shard, or None for the serial path."""
    n = x.shape[0]
    k = min(threads(), n)
    if not ENABLED or k < 2 or x.ndim != 4 or w.dtype != x.dtype or is_device_array(x):
        return None
    macs = n * math.prod(out_size) * w.shape[0] * math.prod(w.shape[1:])
    if macs < MIN_MACS:
        return None
    bounds = [n * i // k for i in range(k + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def _each(jobs: list) -> None:
    """Run every job, one per thread of ``over_batch``'s pool, BLAS one thread per call;
    passes split by ``over_batch`` inside a job then run whole (no nested split)."""

    def run(lo, hi):
        for i in range(lo, hi):
            jobs[i]()

    with blas.one_thread():
        parallel.over_batch(run, len(jobs), parallel.MIN_BYTES)


def forward(fn, shards: list, x, w, b, out_size: tuple, params: dict):
    """y of the whole batch from the shards' serial forwards, written side by side into
    one channels-last buffer (N, OH, OW, O); the (N, O, OH, OW) view of it is returned.
    The parts are kept on ``fn`` for ``backward``."""
    cls, xp = type(fn), array_module(x)
    fn.parts, fn.shards = [cls() for _ in shards], shards
    for part in fn.parts:  # the parts pick their paths by the sharded rule (winograd.select)
        part.in_shard = True
    y = xp.empty((x.shape[0], *out_size, w.shape[0]), dtype=x.dtype)

    def job(i):
        lo, hi = shards[i]
        fn.parts[i]._forward_serial(x[lo:hi], w, b, into=y[lo:hi], **params)

    _each([lambda i=i: job(i) for i in range(len(shards))])
    # what the double backward and ``backward`` read off the node itself
    first = fn.parts[0]
    fn.one_d, fn.groups, fn.padding = False, first.groups, first.padding
    fn.geometry, fn.w_shape, fn.tile = first.geometry, first.w_shape, first.tile
    return y.transpose(0, 3, 1, 2)


def backward(fn, dy):
    """The shards' serial backwards; ∂L/∂x joined channels-last, ∂L/∂W and ∂L/∂b summed."""
    xp, shards = array_module(dy), fn.shards
    needs = fn.needs_input_grad
    n, c, h, wd = (shards[-1][1], fn.w_shape[1] * fn.groups, *fn.geometry[0][2:])
    dx = xp.empty((n, h, wd, c), dtype=dy.dtype) if needs[0] else None
    grads = [None] * len(shards)

    def job(i):
        lo, hi = shards[i]
        part = fn.parts[i]
        part.needs_input_grad = needs
        g = grads[i] = part.backward(dy[lo:hi])
        if dx is not None:
            dx[lo:hi] = g[0].transpose(0, 2, 3, 1)

    _each([lambda i=i: job(i) for i in range(len(shards))])
    dw = _sum(g[1] for g in grads) if len(needs) > 1 and needs[1] else None
    db = _sum(g[2] for g in grads) if len(needs) > 2 and needs[2] else None
    return (None if dx is None else dx.transpose(0, 3, 1, 2)), dw, db


def _sum(parts):
    it = iter(parts)
    total = next(it).copy()
    for p in it:
        total += p
    return total
