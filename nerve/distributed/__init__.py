"""nerve.distributed: torch.distributed's process groups and collectives, on MPI.

Launch N processes with MPI and make the default group in each::

    mpiexec -n 2 python train.py          # train.py: dist.init_process_group("mpi")

mpi4py is imported only by :func:`init_process_group` (and what follows it), so
``import nerve`` and ``import nerve.distributed`` work without it; ``pip install
"nerve[mpi]"`` brings mpi4py and the ``mpich`` wheel, whose ``mpiexec`` lands next to the
Python interpreter.
"""

from nerve.distributed.collectives import (
    Work,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    gather,
    reduce,
    scatter,
)
from nerve.distributed.objects import (
    all_gather_object,
    broadcast_object_list,
    gather_object,
    scatter_object_list,
)
from nerve.distributed.process_group import (
    GroupMember,
    ProcessGroup,
    ReduceOp,
    default_pg_timeout,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    is_torchelastic_launched,
    new_group,
)

__all__ = [
    "GroupMember",
    "ProcessGroup",
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_into_tensor",
    "all_gather_object",
    "all_reduce",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "default_pg_timeout",
    "destroy_process_group",
    "gather",
    "gather_object",
    "get_backend",
    "get_rank",
    "get_world_size",
    "group",
    "init_process_group",
    "is_available",
    "is_gloo_available",
    "is_initialized",
    "is_mpi_available",
    "is_nccl_available",
    "is_torchelastic_launched",
    "new_group",
    "reduce",
    "scatter",
    "scatter_object_list",
]
