"""DistributedDataParallel: data parallelism over the ranks of a process group (MPI).

Each rank holds a full replica of the module and runs forward and backward on its own
part of the batch; gradients are averaged over the ranks during backward (see
reducer.py), so after ``backward()`` every replica holds the same gradient, the one a
single process would compute on the whole batch, and the same optimizer step keeps the
replicas identical.
"""

from __future__ import annotations

import contextlib

import numpy as np

import nerve.distributed as dist
from nerve.autograd import grad_mode
from nerve.distributed.process_group import resolve
from nerve.nn.module import Module
from nerve.nn.parallel.reducer import Reducer
from nerve.tensor import Tensor

_UNSUPPORTED = (
    "delay_all_reduce_named_params",
    "param_to_hook_all_reduce",
    "mixed_precision",
    "device_mesh",
    "bucket_cap_mb_list",
)


class DistributedDataParallel(Module):
    """Wraps ``module`` for data-parallel training: rank 0's parameters and buffers are
    broadcast at construction; gradients are averaged over the ranks in buckets of
    ``bucket_cap_mb`` MB (25 by default), each bucket's allreduce started as soon as its
    gradients are final and all waited for before ``backward()`` returns.

    - ``no_sync()``: forwards inside it skip the averaging in their backward, so
      gradients accumulate locally; the first synchronised backward averages the sum.
    - ``find_unused_parameters``: parameters that got no gradient count as zero (without
      it, they raise a RuntimeError at the end of backward).
    - ``broadcast_buffers``: rank 0's buffers (BatchNorm running statistics) are sent
      to all ranks before each forward in grad mode. BatchNorm statistics of a batch stay
      local (use ``nn.SyncBatchNorm`` to share them).
    - ``.module`` is the wrapped module; ``state_dict()`` keys start with ``module.``.
    """

    def __init__(
        self,
        module: Module,
        device_ids=None,
        output_device=None,
        dim: int = 0,
        broadcast_buffers: bool | None = None,
        init_sync: bool = True,
        process_group=None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
        delay_all_reduce_named_params=None,
        param_to_hook_all_reduce=None,
        mixed_precision=None,
        device_mesh=None,
        skip_all_reduce_unused_params: bool = False,
        bucket_cap_mb_list=None,
        batched_grad_copy: bool = False,
        forward_sync_buffers: bool | None = None,
    ):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel: expected an nn.Module, got {type(module).__name__}"
            )
        given = dict(
            delay_all_reduce_named_params=delay_all_reduce_named_params,
            param_to_hook_all_reduce=param_to_hook_all_reduce,
            mixed_precision=mixed_precision,
            device_mesh=device_mesh,
            bucket_cap_mb_list=bucket_cap_mb_list,
        )
        for name in _UNSUPPORTED:
            if given[name] is not None:
                raise NotImplementedError(
                    f"DistributedDataParallel: {name} is not supported by nerve"
                )
        if device_ids not in (None, [], ["cpu"]) or output_device not in (None, "cpu"):
            raise ValueError(
                "DistributedDataParallel: device_ids and output_device must be "
                f"None for a CPU module, got {device_ids!r}, {output_device!r}"
            )
        params = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not params:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't "
                "have any parameter that requires a gradient."
            )
        self.module = module
        self.process_group = resolve(process_group)
        self.device_ids, self.output_device, self.dim = device_ids, output_device, dim
        self.broadcast_buffers = True if broadcast_buffers is None else bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.gradient_as_bucket_view, self.static_graph = gradient_as_bucket_view, static_graph
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 2**20)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        _check_same_shapes(module, self.process_group)
        if init_sync:
            _broadcast_coalesced(
                [p for p in module.parameters()] + _buffers(module), self.process_group
            )
        self.__dict__["reducer"] = Reducer(
            [p for _, p in params],
            [n for n, _ in params],
            self.process_group,
            self.bucket_bytes_cap,
            self.find_unused_parameters,
            gradient_as_bucket_view,
        )

    def forward(self, *inputs, **kwargs):
        training = grad_mode.state.enabled
        if training and self.broadcast_buffers and self.process_group.size() > 1:
            bufs = _buffers(self.module)
            if bufs:
                _broadcast_coalesced(bufs, self.process_group)
        self.reducer.arm(training and self.require_backward_grad_sync)
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Forwards inside this block skip gradient averaging in their backward."""
        prev, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = prev

    def will_sync_module_buffers(self) -> bool:
        return (
            self.broadcast_buffers and self.process_group.size() > 1 and bool(_buffers(self.module))
        )


def _buffers(module: Module) -> list:
    return [b for b in module.buffers() if b is not None]


def _broadcast_coalesced(tensors: list, pg) -> None:
    """Rank 0's values into every rank's ``tensors``: one broadcast per dtype, of all of
    them flattened into one buffer."""
    by_dtype: dict = {}
    for t in tensors:
        by_dtype.setdefault(t._data.dtype, []).append(t)
    for dtype, group in by_dtype.items():
        flat = Tensor._wrap(np.concatenate([t._data.ravel() for t in group]).astype(dtype))
        dist.broadcast(flat, src=pg.ranks[0], group=pg)
        start = 0
        for t in group:
            n = t._data.size
            t._data[...] = flat._data[start : start + n].reshape(t._data.shape)
            start += n


def _check_same_shapes(module: Module, pg) -> None:
    """Every rank must wrap the same architecture: a mismatch would otherwise show up as
    wrong numbers or a hang in the first allreduce."""
    mine = [[n, list(p.shape), str(p.dtype)] for n, p in module.named_parameters()]
    everyone = [None] * pg.size()
    dist.all_gather_object(everyone, mine, group=pg)
    for r, theirs in enumerate(everyone):
        if theirs != mine:
            diff = next(
                (f"{a} vs {b}" for a, b in zip(mine, theirs) if a != b),
                f"{len(mine)} vs {len(theirs)} parameters",
            )
            raise RuntimeError(
                f"DistributedDataParallel: rank {pg.rank()} and rank {r} have "
                f"different parameters ({diff}); every rank must build the "
                "same module"
            )
