"""Run under mpiexec by test_collectives.py: every collective against NumPy on known
data, every ReduceOp, float32/float64/int64, blocking and async. Each rank prints one
``CHECKED <rank> <count>`` line; any failure raises, which aborts the job."""

import datetime

import numpy as np

import nerve
import nerve.distributed as dist

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=20))
R, N = dist.get_rank(), dist.get_world_size()
checks = 0


def data(r, dtype):  # rank r's known tensor
    return (np.arange(6).reshape(2, 3) * (r + 1) - 2 * r + 1).astype(dtype)


def eq(got, want):
    global checks
    got = got.numpy() if isinstance(got, nerve.Tensor) else np.asarray(got)
    assert got.dtype == np.asarray(want).dtype, (got.dtype, np.asarray(want).dtype)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    checks += 1


every = np.stack([data(r, np.float64) for r in range(N)])
WANT = {
    dist.ReduceOp.SUM: every.sum(0),
    dist.ReduceOp.PRODUCT: every.prod(0),
    dist.ReduceOp.MIN: every.min(0),
    dist.ReduceOp.MAX: every.max(0),
    dist.ReduceOp.AVG: every.mean(0),
}
for dtype in (np.float32, np.float64, np.int64):
    for op, want in WANT.items():
        if op is dist.ReduceOp.AVG and dtype == np.int64:
            want = np.trunc(want)  # integer average rounds toward zero
        for async_op in (False, True):
            t = nerve.tensor(data(R, dtype))
            work = dist.all_reduce(t, op=op, async_op=async_op)
            if async_op:
                assert work.wait() is True and work.is_completed()
                assert work.result()[0] is t
            else:
                assert work is None
            eq(t, want.astype(dtype))
            t = nerve.tensor(data(R, dtype))
            work = dist.reduce(t, dst=N - 1, op=op, async_op=async_op)
            if work is not None:
                work.wait()
            eq(t, want.astype(dtype) if R == N - 1 else data(R, dtype))
    for op, fn in (
        (dist.ReduceOp.BAND, np.bitwise_and),
        (dist.ReduceOp.BOR, np.bitwise_or),
        (dist.ReduceOp.BXOR, np.bitwise_xor),
    ):
        if dtype == np.int64:
            t = nerve.tensor(data(R, dtype))
            dist.all_reduce(t, op)
            eq(t, fn.reduce(every.astype(np.int64), axis=0))

    # broadcast, in place, from each root, blocking and async
    for src in range(N):
        t = nerve.tensor(data(R, dtype))
        w = dist.broadcast(t, src=src, async_op=src % 2 == 1)
        if w is not None:
            w.wait()
        eq(t, data(src, dtype))
    # all_gather / gather / scatter / all_gather_into_tensor
    out = [nerve.zeros(2, 3, dtype=dtype) for _ in range(N)]
    dist.all_gather(out, nerve.tensor(data(R, dtype)))
    for r in range(N):
        eq(out[r], data(r, dtype))
    out = [nerve.zeros(2, 3, dtype=dtype) for _ in range(N)] if R == 0 else None
    w = dist.gather(nerve.tensor(data(R, dtype)), out, dst=0, async_op=True)
    w.wait()
    if R == 0:
        for r in range(N):
            eq(out[r], data(r, dtype))
    t = nerve.zeros(2, 3, dtype=dtype)
    dist.scatter(
        t, [nerve.tensor(data(r, dtype) * 10) for r in range(N)] if R == 1 else None, src=1
    )
    eq(t, data(R, dtype) * 10)
    flat = nerve.zeros(2 * N, 3, dtype=dtype)
    dist.all_gather_into_tensor(flat, nerve.tensor(data(R, dtype)))
    eq(flat, np.concatenate([data(r, dtype) for r in range(N)]))

# non-contiguous tensors are reduced through a copy written back into their memory
base = nerve.tensor(np.arange(12.0).reshape(3, 4) + R)
view = base.t()
dist.all_reduce(view)
eq(base, sum(np.arange(12.0).reshape(3, 4) + r for r in range(N)))

# objects travel as JSON: nested containers, arrays and tensors
got = [None] * N
dist.all_gather_object(
    got,
    {
        "rank": R,
        "loss": 0.5 * R,
        "a": np.arange(3) * R,
        "t": nerve.ones(2) * R,
        "tags": ["x", None, True],
    },
)
for r in range(N):
    assert got[r]["rank"] == r and got[r]["tags"] == ["x", None, True]
    eq(got[r]["a"], np.arange(3) * r)
    eq(got[r]["t"], np.ones(2, np.float32) * r)
objs = [{"k": [1, 2]}, "text", 3.5] if R == 0 else [None, None, None]
dist.broadcast_object_list(objs, src=0)
assert objs == [{"k": [1, 2]}, "text", 3.5]
out = [None]
dist.scatter_object_list(out, [f"for {r}" for r in range(N)] if R == 0 else None, src=0)
assert out == [f"for {R}"]
checks += 3
try:
    dist.all_gather_object([None] * N, object())
except TypeError as e:
    assert "no pickle" in str(e)
    checks += 1

# sub-group of rank 0 only, and error messages
sub = dist.new_group([0])
assert dist.get_rank(sub) == (0 if R == 0 else -1)
if R == 0:
    t = nerve.ones(3)
    dist.all_reduce(t, group=sub)
    eq(t, np.ones(3, np.float32))
for bad, kind, text in (
    (lambda: dist.all_reduce([1.0]), TypeError, "nerve.Tensor"),
    (lambda: dist.broadcast(nerve.ones(2), src=N), RuntimeError, "invalid root rank"),
    (lambda: dist.all_gather([nerve.ones(2)], nerve.ones(2)), RuntimeError, "one per rank"),
    (lambda: dist.all_reduce(nerve.ones(2), dist.ReduceOp.BAND), RuntimeError, "integer"),
    (lambda: dist.init_process_group("mpi"), ValueError, "twice"),
):
    try:
        bad()
        raise AssertionError(f"expected {kind.__name__} containing {text!r}")
    except kind as e:
        assert text in str(e), e
        checks += 1

work = dist.barrier(async_op=True)
work.wait()
dist.barrier()
print(f"CHECKED {R} {checks}", flush=True)
dist.destroy_process_group()
assert not dist.is_initialized()
