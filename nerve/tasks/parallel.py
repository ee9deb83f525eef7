"""``nerve train --nproc N``: the launch under ``mpiexec`` and the data-parallel pieces
``run_training`` adds when a process group of more than one rank is initialised.

Each of the N ranks reads its own shard of every epoch (DistributedSampler, shuffled with
the task's seed, re-ordered each epoch by ``set_epoch``) with ``batch_size // N`` samples
per step, so the N ranks together take the steps of one process with the task's (global)
batch size; DistributedDataParallel averages the gradients during backward.
"""

from __future__ import annotations

import os
import shutil
import sys

from nerve.backend.threads import set_num_threads
from nerve.creation import tensor
from nerve.dtypes import float64
from nerve.train import Callback

# Set by the launching ``nerve train --nproc N`` in its children's environment, so that a
# child never launches again even under a launcher that sets none of the variables below.
MARKER = "NERVE_TRAIN_NPROC"
_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", MARKER)  # MPICH/Intel MPI, Open MPI
_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", MARKER)
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def launcher_world_size() -> int | None:
    """The world size an MPI launcher gave this process, or None outside a launcher."""
    if not any(v in os.environ for v in _RANK_VARS):
        return None
    for var in _SIZE_VARS:
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 1


def find_mpiexec() -> str:
    """The ``mpiexec`` next to this Python (the mpich wheel's), else the one on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = beside if os.access(beside, os.X_OK) else shutil.which("mpiexec")
    if not found:
        raise RuntimeError(
            "nerve train --nproc: no mpiexec next to the Python interpreter or "
            'on PATH; pip install "nerve[mpi]" (mpi4py and the mpich wheel) '
            "or install an MPI"
        )
    return found


def relaunch(argv: list[str], nproc: int) -> int:
    """Run ``nerve <argv>`` (without ``--nproc``) as ``mpiexec -n nproc``; its exit code."""
    import subprocess

    cmd = [find_mpiexec(), "-n", str(nproc), sys.executable, "-m", "nerve", *strip_nproc(argv)]
    env = dict(os.environ, **{MARKER: str(nproc)})
    # The ranks share this machine's cores: BLAS must be told before NumPy loads, and an
    # oversubscribed 2-rank run on 2 cores is many times slower than 1 thread per rank.
    threads = str(max(1, (os.cpu_count() or 1) // nproc))
    for var in _THREAD_VARS:
        env.setdefault(var, threads)
    return subprocess.call(cmd, env=env)


def strip_nproc(argv: list[str]) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            out.append(a)
    return out


def limit_threads(world: int) -> None:
    """One rank's share of the cores for nerve's own passes and (with threadpoolctl, as
    NumPy is loaded by now) BLAS, unless the environment already says."""
    local = int(
        os.environ.get("MPI_LOCALNRANKS") or os.environ.get("OMPI_COMM_WORLD_LOCAL_SIZE") or world
    )
    threads = max(1, (os.cpu_count() or 1) // local)
    set_num_threads(threads)
    if "OPENBLAS_NUM_THREADS" in os.environ or "OMP_NUM_THREADS" in os.environ:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=threads, user_api="blas")


def shard_loader(loader, world: int, seed: int):
    """``loader`` re-made over this rank's shard, ``batch_size // world`` per step."""
    from nerve.data import DataLoader, DistributedSampler
    from nerve.data.dataloader import default_collate

    bs = loader.batch_size
    if bs is None or bs < world:
        raise ValueError(
            f"nerve train --nproc {world}: the batch size ({bs}) must be at least "
            f"the number of processes; each rank takes batch_size // nproc"
        )
    sampler = DistributedSampler(loader.dataset, shuffle=True, seed=seed)
    collate = None if loader.collate_fn is default_collate else loader.collate_fn
    return DataLoader(
        loader.dataset,
        batch_size=bs // world,
        sampler=sampler,
        drop_last=loader.drop_last,
        collate_fn=collate,
    )


class RankEpochs(Callback):
    """Re-orders the shards each epoch (``set_epoch``) and averages the epoch's logged
    figures over the ranks (all_reduce AVG), in place, before the callbacks after it."""

    def __init__(self, sampler) -> None:
        super().__init__()
        self.sampler = sampler

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self.sampler.set_epoch(epoch)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        import numpy as np

        import nerve.distributed as dist

        if not logs:
            return
        keys = sorted(logs)  # the same order on every rank
        values = tensor(np.array([float(logs[k]) for k in keys]), dtype=float64)
        dist.all_reduce(values, op=dist.ReduceOp.AVG)
        logs.update(zip(keys, values.numpy().tolist(), strict=True))
