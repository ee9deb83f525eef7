"""Recurrent nodes on several cores: the batch cut into shards, one thread each.

The sequences of a batch never interact in an RNN, LSTM or GRU: rows lo..hi of the
batch are a recurrence of their own with the same weights. One step of one sequence
(a small recurrent GEMM, then the elementwise gate math) must wait for the step
before it, so a single chain keeps one core busy and leaves the other waiting; the
same step of *another* shard is free to run beside it. A large enough batch is
therefore cut into S contiguous shards (S = ``nerve.get_num_threads()``), each shard
runs the serial fast path of its Function (forward and BPTT, with its own input
projection and its own weight-gradient GEMMs) in its own thread, and the results are
joined: outputs and input/state gradients side by side along the batch, weight
gradients summed, since the loss is a sum over sequences:

    ∂L/∂W = Σₖ ∂L/∂W⁽ᵏ⁾,   ∂L/∂x[:, lo:hi] = ∂L/∂x⁽ᵏ⁾,   y[:, lo:hi] = y⁽ᵏ⁾.

NumPy releases the GIL inside BLAS and inside ufunc loops over more than a few hundred
elements, so the shards' GEMMs and gate math run truly in parallel. While shards run,
BLAS is set to one thread per call (two shards each calling a two-thread GEMM fight
over the same two cores: measured 50 against 35 ms per LSTM node) and restored after.
(BLAS's thread count is process-wide: the load watcher of nerve/backend/threads.py may
change it back during a run, which costs speed, never correctness; see ENABLED.)

When (``shards_for``): NERVE_RNN_SHARDS=1 (off by default, see ENABLED), host
arrays, at least two threads, and at least two BLAS threads now (where the watcher of
nerve/backend/threads.py has found a core taken by another process, BLAS is down to
one thread and a second shard would only wait for a core: measured 82 against 60 ms
per LSTM node beside one busy process), no ``grad_norms`` (they are norms over the
whole batch), at least MIN_ROWS sequences per shard and a per-step gate block
(G·H·B/S values) of at least MIN_BLOCK; below that the hand-off costs more than the
second core gives. The serial path (one shard) is the reference the shards are tested
against (tests/ops/nn/test_recurrent_shards.py).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from nerve.backend import array_module, blas, is_device_array, parallel

__all__: list[str] = []

# Off unless NERVE_RNN_SHARDS=1. Measured on 2 quiet cores (benchmarks.rnn --profile):
# the raw nodes tie the serial path on two BLAS threads (LSTM 28 ms each, GRU 24 vs 25),
# but inside the lstm_train step the shards lose: fwd+bwd 31 -> 52 ms with
# NERVE_BLAS_THREADS=2 fixed, 34 -> 60 ms following the load (the watcher may hand
# BLAS its second thread back mid-run). Not yet understood (the per-run BLAS switch?
# the GIL between the shards' short ufuncs?): kept, tested, for whoever finds out.
ENABLED = os.environ.get("NERVE_RNN_SHARDS", "0").strip() == "1"
MIN_ROWS = 8  # sequences per shard
MIN_BLOCK = 8192  # values of a shard's per-step gate block G·H·(B/S)
_pool = {"exec": None, "size": 0}
_lock = threading.Lock()


def shards_for(fn, x, nb: int, gate_rows: int, grad_norms) -> list | None:
    """The (lo, hi) batch rows of each shard, or None for the serial path (always for
    a shard's own Function)."""
    k = parallel.num_threads()
    if not ENABLED or grad_norms is not None or is_device_array(x):
        return None
    if getattr(fn, "in_shard", False):
        return None
    if blas.available():  # the cores the load watcher finds free (threads.py): a shard
        k = min(k, blas.get())  # with no core of its own only waits (measured 82 vs 60 ms)
    k = min(k, nb // MIN_ROWS)
    while k > 1 and gate_rows * (nb // k) < MIN_BLOCK:
        k -= 1
    if k < 2:
        return None
    bounds = [nb * i // k for i in range(k + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def _executor(workers: int) -> ThreadPoolExecutor:
    with _lock:
        if _pool["exec"] is None or _pool["size"] < workers:
            if _pool["exec"] is not None:
                _pool["exec"].shutdown(wait=False)
            _pool["exec"] = ThreadPoolExecutor(workers, thread_name_prefix="nerve-rnn-shard")
            _pool["size"] = workers
        return _pool["exec"]


if hasattr(os, "register_at_fork"):  # a forked child has no pool threads: start afresh
    os.register_at_fork(after_in_child=lambda: _pool.update(exec=None, size=0))


def run_all(jobs: list) -> list:
    """jobs[0]() here and the others on the pool, one BLAS thread each; every job is
    waited for before the first error (if any) is raised."""
    with blas.one_thread():
        futures = [_executor(len(jobs) - 1).submit(j) for j in jobs[1:]]
        error, results = None, []
        try:
            results.append(jobs[0]())
        except BaseException as e:  # noqa: BLE001 - re-raised once the others are done
            error = e
        for f in futures:
            try:
                results.append(f.result())
            except BaseException as e:  # noqa: BLE001
                error = error or e
    if error is not None:
        raise error
    return results


def _rows(a, lo: int, hi: int, axis: int = 0):
    return None if a is None else a[(slice(None),) * axis + (slice(lo, hi),)]


def _lengths_list(lengths):
    if lengths is None:
        return None
    return [int(v) for v in (lengths.tolist() if hasattr(lengths, "tolist") else lengths)]


def forward(fn, cls, shards, x, states, weights, lengths=None, **params) -> tuple:
    """Run ``cls.forward`` on each shard of the time-major x (T, B, I) with the states'
    rows (each (B, ·) or None); returns (y (T, B, F) joined, final states joined (B, ·)).
    ``lengths`` must have been checked on the whole batch already."""
    xp = array_module(x)
    lens = _lengths_list(lengths)
    subs = [object.__new__(cls) for _ in shards]
    for sub in subs:
        sub.in_shard = True
    outs = [None] * len(shards)

    def job(k):
        lo, hi = shards[k]
        rows = [_rows(s, lo, hi) for s in states]
        sub_len = None if lens is None else lens[lo:hi]
        outs[k] = subs[k].forward(_rows(x, lo, hi, 1), *rows, *weights, lengths=sub_len, **params)

    run_all([lambda k=k: job(k) for k in range(len(shards))])
    nt, nb = x.shape[0], x.shape[1]
    y = xp.empty((nt, nb, outs[0][0].shape[2]), outs[0][0].dtype)
    for (lo, hi), out in zip(shards, outs):
        y[:, lo:hi] = out[0]
    finals = [xp.concatenate([out[i] for out in outs]) for i in range(1, len(outs[0]))]
    fn.shard_fns, fn.shards = subs, shards
    return y, finals


def backward(fn, dy, state_grads, n_batched: int) -> list:
    """BPTT of each shard: dy (T, B, F) or None, the final states' gradients (B, ·) or
    None. Returns the shards' gradients joined: the first ``n_batched`` (the input as
    (T, B, I), the initial states as (B, ·)) along the batch, the rest (the weights')
    summed."""
    subs, shards = fn.shard_fns, fn.shards
    grads = [None] * len(shards)

    def job(k):
        lo, hi = shards[k]
        sub = subs[k]
        sub.needs_input_grad = fn.needs_input_grad
        grads[k] = sub.backward(_rows(dy, lo, hi, 1), *[_rows(g, lo, hi) for g in state_grads])

    run_all([lambda k=k: job(k) for k in range(len(shards))])
    joined = []
    for i, parts in enumerate(zip(*grads)):
        if parts[0] is None:
            joined.append(None)
        elif i < n_batched:
            xp = array_module(parts[0])
            joined.append(xp.concatenate(parts, axis=1 if i == 0 else 0))
        else:
            total = parts[0].copy()
            for p in parts[1:]:
                total += p
            joined.append(total)
    return joined
