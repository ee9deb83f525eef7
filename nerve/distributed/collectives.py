"""Collectives on tensors, as ``torch.distributed``: each works in place on the tensors
it is given, every rank of the group calls it, and ``async_op=True`` returns a
:class:`Work` whose ``wait()`` finishes it (MPI's non-blocking collectives underneath).

MPI needs contiguous buffers: a non-contiguous tensor is reduced through a contiguous
copy that is written back when the work finishes.
"""

from __future__ import annotations

import time

import numpy as np

from nerve.distributed.process_group import ReduceOp, group_rank, mpi, resolve
from nerve.tensor import Tensor


class Work:
    """A collective in flight. ``wait()`` blocks until it is done on this rank (at most
    the group's timeout) and returns True; ``is_completed()`` asks without blocking."""

    def __init__(self, request, finish=None, result=(), timeout=None) -> None:
        self._request, self._finish, self._result = request, finish, list(result)
        self._timeout, self._done = timeout, request is None

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            self._finish()
            self._finish = None

    def is_completed(self) -> bool:
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def wait(self, timeout=None) -> bool:
        if self._done:
            return True
        limit = timeout if timeout is not None else self._timeout
        if limit is None:
            self._request.Wait()
        else:
            seconds = limit.total_seconds() if hasattr(limit, "total_seconds") else limit
            deadline = time.monotonic() + float(seconds)
            while not self._request.Test():
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"nerve.distributed: a collective timed out after "
                        f"{seconds:g} s: some rank did not join it (it died, "
                        f"raised or called a different collective)"
                    )
        self._complete()
        return True

    def is_success(self) -> bool:
        return self.is_completed()

    def exception(self):
        return None

    def result(self) -> list:
        self.wait()
        return list(self._result)


def _run(pg, start, finish=None, result=(), async_op: bool = False):
    work = Work(start(), finish, result, pg.timeout)
    if async_op:
        return work
    work.wait()
    return None


def _check_tensor(t, op: str, name: str = "tensor") -> np.ndarray:
    if not isinstance(t, Tensor):
        raise TypeError(
            f"{op}: expected parameter `{name}` of type nerve.Tensor but got {type(t)} instead."
        )
    return t._data


def _buffer(arr: np.ndarray):
    """(a contiguous buffer holding arr's values, a function writing it back to arr)."""
    if arr.flags.c_contiguous and arr.flags.writeable:
        return arr, None
    buf = np.ascontiguousarray(arr)

    def back():
        arr[...] = buf

    return buf, back


_MPI_OPS = {
    ReduceOp.SUM: "SUM",
    ReduceOp.AVG: "SUM",
    ReduceOp.PRODUCT: "PROD",
    ReduceOp.MIN: "MIN",
    ReduceOp.MAX: "MAX",
    ReduceOp.BAND: "BAND",
    ReduceOp.BOR: "BOR",
    ReduceOp.BXOR: "BXOR",
}


def _mpi_op(op, arr: np.ndarray, name: str):
    if op not in _MPI_OPS:
        raise ValueError(
            f"{name}: unsupported op {op!r}; expected one of ReduceOp.SUM, AVG, "
            "PRODUCT, MIN, MAX, BAND, BOR, BXOR"
        )
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and arr.dtype.kind not in "iub":
        raise RuntimeError(f"{name}: {op.name} needs an integer or bool tensor, got {arr.dtype}")
    return getattr(mpi(), _MPI_OPS[op])


def _average(buf: np.ndarray, n: int) -> None:
    """AVG: the sum over ``n`` ranks divided by ``n`` (integers round toward zero)."""
    if buf.dtype.kind == "f":
        buf /= n
    else:
        np.copyto(buf, np.sign(buf) * (np.abs(buf) // n), casting="unsafe")


def _chain(*steps):
    steps = [s for s in steps if s is not None]
    return (lambda: [s() for s in steps]) if steps else None


def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Every rank's ``tensor`` becomes op(tensor of rank 0, ..., tensor of rank N-1)."""
    arr = _check_tensor(tensor, "all_reduce")
    pg = resolve(group)
    if pg is None:
        return None
    mop = _mpi_op(op, arr, "all_reduce")
    buf, back = _buffer(arr)
    avg = (lambda: _average(buf, pg.size())) if op is ReduceOp.AVG else None
    return _run(
        pg,
        lambda: pg.comm.Iallreduce(mpi().IN_PLACE, buf, mop),
        _chain(avg, back),
        [tensor],
        async_op,
    )


def reduce(
    tensor: Tensor,
    dst: int | None = None,
    op=ReduceOp.SUM,
    group=None,
    async_op: bool = False,
    group_dst: int | None = None,
):
    """Rank ``dst``'s ``tensor`` becomes op over all ranks' tensors; the others' stay."""
    arr = _check_tensor(tensor, "reduce")
    pg = resolve(group)
    if pg is None:
        return None
    root = group_rank(pg, dst, group_dst, "reduce", "dst")
    mop = _mpi_op(op, arr, "reduce")
    mpi_ = mpi()
    if pg.rank() == root:
        buf, back = _buffer(arr)
        avg = (lambda: _average(buf, pg.size())) if op is ReduceOp.AVG else None
        return _run(
            pg,
            lambda: pg.comm.Ireduce(mpi_.IN_PLACE, buf, mop, root),
            _chain(avg, back),
            [tensor],
            async_op,
        )
    send = np.ascontiguousarray(arr)
    return _run(pg, lambda: pg.comm.Ireduce(send, None, mop, root), None, [tensor], async_op)


def broadcast(
    tensor: Tensor,
    src: int | None = None,
    group=None,
    async_op: bool = False,
    group_src: int | None = None,
):
    """Every rank's ``tensor`` becomes rank ``src``'s."""
    arr = _check_tensor(tensor, "broadcast")
    pg = resolve(group)
    if pg is None:
        return None
    root = group_rank(pg, src, group_src, "broadcast")
    buf, back = _buffer(arr)
    return _run(pg, lambda: pg.comm.Ibcast(buf, root), back, [tensor], async_op)


def _check_list(tensors, like: np.ndarray, n: int, op: str, name: str) -> None:
    if not isinstance(tensors, list | tuple) or len(tensors) != n:
        got = len(tensors) if isinstance(tensors, list | tuple) else type(tensors).__name__
        raise RuntimeError(
            f"{op}: `{name}` must be a list of {n} tensors (one per rank), got {got}"
        )
    for i, t in enumerate(tensors):
        a = _check_tensor(t, op, f"{name}[{i}]")
        if a.shape != like.shape or a.dtype != like.dtype:
            raise RuntimeError(
                f"{op}: invalid tensor at index {i} of `{name}` (expected "
                f"shape {like.shape} and dtype {like.dtype}, got {a.shape} "
                f"and {a.dtype})"
            )


def _unstack(stacked: np.ndarray, tensors):
    def back():
        for t, part in zip(tensors, stacked):
            t._data[...] = part

    return back


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """``tensor_list[r]`` becomes rank r's ``tensor``, on every rank."""
    arr = _check_tensor(tensor, "all_gather")
    pg = resolve(group)
    if pg is None:
        return None
    _check_list(tensor_list, arr, pg.size(), "all_gather", "tensor_list")
    send = np.ascontiguousarray(arr)
    recv = np.empty((pg.size(),) + arr.shape, arr.dtype)  # (N, *shape)
    return _run(
        pg,
        lambda: pg.comm.Iallgather(send, recv),
        _unstack(recv, tensor_list),
        [tensor_list],
        async_op,
    )


def all_gather_into_tensor(
    output_tensor: Tensor, input_tensor: Tensor, group=None, async_op: bool = False
):
    """``output_tensor`` (N*d0, ...) or (N, d0, ...) becomes the ranks' inputs in rank order."""
    out, arr = (
        _check_tensor(output_tensor, "all_gather_into_tensor", "output_tensor"),
        _check_tensor(input_tensor, "all_gather_into_tensor", "input_tensor"),
    )
    pg = resolve(group)
    if pg is None:
        return None
    if out.size != arr.size * pg.size() or out.dtype != arr.dtype:
        raise RuntimeError(
            f"all_gather_into_tensor: output_tensor must hold world_size "
            f"({pg.size()}) x input ({arr.shape}, {arr.dtype}), got "
            f"{out.shape}, {out.dtype}"
        )
    send = np.ascontiguousarray(arr)
    buf, back = _buffer(out)
    return _run(pg, lambda: pg.comm.Iallgather(send, buf), back, [output_tensor], async_op)


def gather(
    tensor: Tensor,
    gather_list: list | None = None,
    dst: int | None = None,
    group=None,
    async_op: bool = False,
    group_dst: int | None = None,
):
    """On rank ``dst``, ``gather_list[r]`` becomes rank r's ``tensor``."""
    arr = _check_tensor(tensor, "gather")
    pg = resolve(group)
    if pg is None:
        return None
    root = group_rank(pg, dst, group_dst, "gather", "dst")
    send = np.ascontiguousarray(arr)
    if pg.rank() != root:
        if gather_list:
            raise ValueError(
                "Argument ``gather_list`` must NOT be specified on non-destination ranks."
            )
        return _run(pg, lambda: pg.comm.Igather(send, None, root), None, [], async_op)
    if gather_list is None:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    _check_list(gather_list, arr, pg.size(), "gather", "gather_list")
    recv = np.empty((pg.size(),) + arr.shape, arr.dtype)  # (N, *shape)
    return _run(
        pg,
        lambda: pg.comm.Igather(send, recv, root),
        _unstack(recv, gather_list),
        [gather_list],
        async_op,
    )


def scatter(
    tensor: Tensor,
    scatter_list: list | None = None,
    src: int | None = None,
    group=None,
    async_op: bool = False,
    group_src: int | None = None,
):
    """Rank r's ``tensor`` becomes ``scatter_list[r]`` of rank ``src``."""
    arr = _check_tensor(tensor, "scatter")
    pg = resolve(group)
    if pg is None:
        return None
    root = group_rank(pg, src, group_src, "scatter")
    buf, back = _buffer(arr)
    if pg.rank() != root:
        if scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
        return _run(pg, lambda: pg.comm.Iscatter(None, buf, root), back, [tensor], async_op)
    if scatter_list is None:
        raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
    _check_list(scatter_list, arr, pg.size(), "scatter", "scatter_list")
    send = np.stack([t._data for t in scatter_list])  # (N, *shape)
    return _run(pg, lambda: pg.comm.Iscatter(send, buf, root), back, [tensor], async_op)


def barrier(group=None, async_op: bool = False, device_ids=None, timeout=None):
    """Wait until every rank of the group has reached the barrier."""
    pg = resolve(group)
    if pg is None:
        return None
    work = Work(pg.comm.Ibarrier(), None, (), timeout or pg.timeout)
    if async_op:
        return work
    work.wait()
    return None
