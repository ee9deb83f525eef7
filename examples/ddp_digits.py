"""Data-parallel training of the digits MLP over MPI ranks with DistributedDataParallel.

    mpiexec -n 2 python examples/ddp_digits.py [--epochs 10] [--batch-size 64]

(``pip install "nerve[mpi]"`` brings mpi4py and the mpich wheel, whose ``mpiexec`` sits
next to the Python interpreter.) Each rank reads its own shard of every epoch through
DistributedSampler, with batch_size/N samples per step, so the N ranks together take
the same steps as one process with the whole batch; DistributedDataParallel averages
the gradients during backward. Only rank 0 prints. Run with ``python`` alone it trains
in one process (a world of one rank).
"""

from __future__ import annotations

import argparse
import os
import time

# Ranks on one machine share its cores: each gets cores / local ranks threads (BLAS and
# nerve's own), set before NumPy loads. Oversubscribed, a 2-rank job on 2 cores runs ~10x
# slower. MPICH and Open MPI say how many ranks share this node.
_local = int(os.environ.get("MPI_LOCALNRANKS") or os.environ.get("OMPI_COMM_WORLD_LOCAL_SIZE")
             or 1)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, str(max(1, (os.cpu_count() or 1) // _local)))

import nerve  # noqa: E402
import nerve.distributed as dist  # noqa: E402
from nerve import nn  # noqa: E402
from nerve.data import DataLoader, DistributedSampler, TensorDataset  # noqa: E402
from nerve.data.datasets import load_digits  # noqa: E402
from nerve.nn.parallel import DistributedDataParallel  # noqa: E402


def make_model(hidden: int = 256) -> nn.Module:
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                         nn.ReLU(), nn.Linear(hidden, 10))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=64, help="over all ranks together")
    ap.add_argument("--lr", type=float, default=2e-3)
    args = ap.parse_args()

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    nerve.manual_seed(0)  # DDP broadcasts rank 0's weights anyway
    x, y = load_digits("train")
    xt, yt = load_digits("test")
    mean, scale = x.mean(0), x.std(0) + 0.1
    train = TensorDataset((x - mean) / scale, y)
    sampler = DistributedSampler(train, shuffle=True, seed=0)
    loader = DataLoader(train, batch_size=args.batch_size // world, sampler=sampler)
    model = DistributedDataParallel(make_model())
    opt = nerve.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new order each epoch, the same on every rank
        total = nerve.zeros(2, dtype=nerve.float64)  # (sum of losses, batches)
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()  # gradients averaged over the ranks before this returns
            opt.step()
            total += nerve.tensor([loss.item(), 1.0], dtype=nerve.float64)
        dist.all_reduce(total)  # the epoch's mean loss over every rank's batches
        model.eval()
        with nerve.no_grad():
            acc = (model((xt - mean) / scale).argmax(1) == yt).float().mean().item()
        if rank == 0:
            print(f"epoch {epoch + 1:2d}  loss {total[0].item() / total[1].item():.4f}  "
                  f"test acc {acc:.4f}  ({world} ranks, {time.perf_counter() - start:.1f} s)",
                  flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
