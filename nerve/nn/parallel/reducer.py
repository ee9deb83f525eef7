"""Gradient buckets for DistributedDataParallel: each bucket is one flat buffer holding
the gradients of a few parameters of one dtype; as soon as backward has finished every
gradient of a bucket (the parameters' post-accumulate-grad hooks say so), its allreduce
starts, non-blocking, so communication overlaps the rest of backward.

Averaging over N ranks, each with the mean loss of its own n samples:

    g = (1/N) Σᵣ gᵣ,   gᵣ = ∂/∂θ (1/n) Σᵢ∈shard(r) ℓᵢ   ⇒   g = ∂/∂θ (1/(N n)) Σᵢ ℓᵢ,

the gradient one process would get from the whole batch of N n samples.
"""

from __future__ import annotations

import numpy as np

import nerve.distributed as dist

FIRST_BUCKET_BYTES = 1024 * 1024  # torch's: a small first bucket starts the traffic early
UNUSED = (
    "Expected to have finished reduction in the prior iteration before starting a new "
    "one. This error indicates that your module has parameters that were not used in "
    "producing loss: {names}. You can enable unused parameter detection by passing the "
    "keyword argument `find_unused_parameters=True` to "
    "`nerve.nn.parallel.DistributedDataParallel`, and by making sure all `forward` "
    "function outputs participate in calculating loss."
)


class Bucket:
    """A flat buffer and the (parameter, offset) of each gradient it holds."""

    def __init__(self, params: list, dtype) -> None:
        self.params = params
        sizes = [p._data.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.buffer = np.zeros(int(self.offsets[-1]), dtype)
        self.ready: set = set()
        self.work = None

    def view(self, i: int) -> np.ndarray:
        p = self.params[i]
        return self.buffer[self.offsets[i] : self.offsets[i + 1]].reshape(p._data.shape)


def make_buckets(params: list, cap_bytes: int) -> list[Bucket]:
    """Parameters in reverse order (backward reaches the last layers first), cut into
    buckets of at most ``cap_bytes`` (the first of at most 1 MB), one dtype per bucket."""
    buckets: list = []
    open_: dict = {}
    for p in reversed(params):
        dt = p._data.dtype
        cap = cap_bytes if buckets else min(cap_bytes, FIRST_BUCKET_BYTES)
        group = open_.setdefault(dt, [])
        if group and (sum(q._data.nbytes for q in group) + p._data.nbytes > cap):
            buckets.append(Bucket(group, dt))
            group = open_[dt] = []
        group.append(p)
    buckets += [Bucket(g, dt) for dt, g in open_.items() if g]
    return buckets


class Reducer:
    """Fills the buckets from the post-accumulate-grad hooks, starts each bucket's
    allreduce when it is full and, at the end of backward, waits for them all and writes
    the averaged gradients back into ``.grad``."""

    def __init__(
        self,
        params: list,
        names: list[str],
        pg,
        cap_bytes: int,
        find_unused: bool,
        grad_as_view: bool,
    ) -> None:
        from nerve.autograd import engine

        self.engine, self.pg = engine, pg
        self.names = {id(p): n for p, n in zip(params, names)}
        self.params = params
        self.find_unused, self.grad_as_view = find_unused, grad_as_view
        self.buckets = make_buckets(params, cap_bytes)
        self.slot = {id(p): (b, i) for b in self.buckets for i, p in enumerate(b.params)}
        self.armed = False  # set by forward: the coming backward synchronises
        self.queued = False
        self.handles = [p.register_post_accumulate_grad_hook(self._ready) for p in params]

    def arm(self, on: bool) -> None:
        self.armed = on
        for b in self.buckets:
            b.ready.clear()
            b.work = None

    def _ready(self, p) -> None:
        if not self.armed:
            return
        if not self.queued:
            self.engine.queue_callback(self.finish)
            self.queued = True
        b, i = self.slot[id(p)]
        np.copyto(b.view(i), p.grad._data)
        b.ready.add(i)
        if len(b.ready) == len(b.params):
            self._start(b)

    def _start(self, b: Bucket) -> None:
        b.work = dist.all_reduce(_flat(b), dist.ReduceOp.SUM, self.pg, async_op=True)

    def finish(self) -> None:
        """End of backward: every bucket reduced, the average written into ``.grad``."""
        self.queued = False
        try:
            missing = [b for b in self.buckets if len(b.ready) < len(b.params)]
            unused = self._fill_unused(missing) if missing else set()
            for b in self.buckets:
                b.work.wait()
                b.buffer /= self.pg.size()
                for i, p in enumerate(b.params):
                    if id(p) not in unused:
                        self._write(p, b.view(i))
        finally:
            self.arm(False)

    def _fill_unused(self, missing: list) -> set:
        """Parameters no gradient reached here count as zero in the average; those no
        rank used keep ``.grad`` as it was (torch's global unused parameters)."""
        if not self.find_unused:
            for b in self.buckets:  # no allreduce may stay in flight over freed buffers
                if b.work is not None:
                    b.work.wait()
            names = [
                self.names[id(p)]
                for b in missing
                for i, p in enumerate(b.params)
                if i not in b.ready
            ]
            raise RuntimeError(UNUSED.format(names=", ".join(names)))
        used = np.zeros(len(self.params), np.int32)
        for k, p in enumerate(self.params):
            b, i = self.slot[id(p)]
            used[k] = i in b.ready
        flags = _wrap(used)
        dist.all_reduce(flags, dist.ReduceOp.MAX, self.pg)
        for b in missing:
            for i, p in enumerate(b.params):
                if i not in b.ready:
                    b.view(i)[...] = 0 if p.grad is None else p.grad._data
            self._start(b)
        return {id(p) for k, p in enumerate(self.params) if not flags._data[k]}

    def _write(self, p, reduced: np.ndarray) -> None:
        if self.grad_as_view and p.grad is not None:
            p.grad._data = reduced
        elif p.grad is None:
            p.grad = p._wrap_grad(reduced.copy())
        else:
            np.copyto(p.grad._data, reduced)

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def _wrap(arr: np.ndarray):
    from nerve.tensor import Tensor

    return Tensor._wrap(arr)


def _flat(b: Bucket):
    return _wrap(b.buffer)
