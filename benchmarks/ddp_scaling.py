"""Data-parallel scaling on this machine: samples/s of mlp_train and cnn_train (the
workloads of benchmarks/mlp.py and benchmarks/cnn.py, same global batch) at 1 and 2
MPI ranks, and the allreduce's share of a step, with and without overlap.

    python benchmarks/ddp_scaling.py [--ranks 1 2] [--steps 30]

launches itself under ``mpiexec -n N`` for each N (each rank gets cores / N threads).
Per model and N it reports:

- ``compute``: a step with no communication at all (forward, backward, SGD step on the
  rank's B/N samples);
- ``ddp``: a DistributedDataParallel step, bucket allreduces overlapping backward;
- ``no overlap``: backward under ``no_sync``, then one blocking allreduce of all
  gradients, then the step;
- ``allreduce``: that allreduce alone (gradient bytes, rate in GB/s).

Not a test: timings depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _worker(steps: int) -> None:
    import nerve.distributed as dist
    from benchmarks.cnn import CNN_BATCH, _cnn
    from benchmarks.mlp import BATCH, _nerve_model
    from nerve import nn

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    results = {
        name: _measure(make, shape, batch, steps, rank, world)
        for name, make, shape, batch in (
            ("mlp_train", _nerve_model, (784,), BATCH),
            ("cnn_train", lambda: _cnn(nn), (1, 28, 28), CNN_BATCH),
        )
    }
    if rank == 0:
        print("RESULT " + json.dumps({"world": world, "models": results}), flush=True)
    dist.destroy_process_group()


def _measure(make, shape, batch: int, steps: int, rank: int, world: int) -> dict:
    """Best step times (of the slowest rank) of one model at this world size."""
    import numpy as np

    import nerve
    import nerve.distributed as dist
    from nerve import nn
    from nerve.nn.parallel import DistributedDataParallel

    rng = np.random.default_rng(rank)
    local = batch // world
    x = nerve.tensor(rng.standard_normal((local,) + shape).astype(np.float32))
    y = nerve.tensor(rng.integers(0, 10, local))
    nerve.manual_seed(0)
    model = make()
    ddp = DistributedDataParallel(model)
    opt = nerve.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    params = list(model.parameters())
    flat = nerve.zeros(sum(p.numel() for p in params))

    def compute():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    def overlapped():
        opt.zero_grad()
        loss_fn(ddp(x), y).backward()
        opt.step()

    def after():
        opt.zero_grad()
        with ddp.no_sync():
            loss_fn(ddp(x), y).backward()
        np.concatenate([p.grad.numpy().ravel() for p in params], out=flat.numpy())
        dist.all_reduce(flat)
        opt.step()

    def allreduce():
        dist.all_reduce(flat)

    row = {"batch": batch, "grad_bytes": int(flat.numpy().nbytes)}
    for label, fn in (
        ("compute", compute),
        ("ddp", overlapped),
        ("no_overlap", after),
        ("allreduce", allreduce),
    ):
        for _ in range(3):
            fn()
        dist.barrier()
        times = []
        for _ in range(steps):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        mine = nerve.tensor([float(np.min(times))], dtype=nerve.float64)  # best: least noise
        dist.all_reduce(mine, dist.ReduceOp.MAX)  # a step lasts as long as its slowest rank
        row[label] = mine.item()
    return row


def _launch(n: int, steps: int) -> dict:
    mpiexec = Path(sys.executable).parent / "mpiexec"
    threads = str(max(1, (os.cpu_count() or 1) // n))
    env = dict(
        os.environ,
        OMP_NUM_THREADS=threads,
        OPENBLAS_NUM_THREADS=threads,
        MKL_NUM_THREADS=threads,
        PYTHONPATH=str(ROOT),
    )
    out = subprocess.run(
        [str(mpiexec), "-n", str(n), sys.executable, __file__, "--worker", "--steps", str(steps)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
        cwd=ROOT,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    ap = argparse.ArgumentParser(description="DDP scaling at 1 and 2 ranks")
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        _worker(args.steps)
        return
    runs = [_launch(n, args.steps) for n in args.ranks]
    print(
        f"{'model':10} {'ranks':>5} {'samples/s':>10} {'compute ms':>10} {'ddp ms':>8} "
        f"{'no-overlap ms':>13} {'allreduce ms':>12} {'MB':>6} {'GB/s':>6} {'share':>6}"
    )
    for run in runs:
        for name, r in run["models"].items():
            mb = r["grad_bytes"] / 1e6
            share = max(0.0, r["ddp"] - r["compute"]) / r["ddp"]
            print(
                f"{name:10} {run['world']:5d} {r['batch'] / r['ddp']:10,.0f} "
                f"{r['compute'] * 1e3:10.2f} {r['ddp'] * 1e3:8.2f} "
                f"{r['no_overlap'] * 1e3:13.2f} {r['allreduce'] * 1e3:12.3f} {mb:6.2f} "
                f"{mb / 1e3 / r['allreduce']:6.2f} {share:6.1%}"
            )


if __name__ == "__main__":
    main()
