"""Process groups on MPI: the default (world) group, sub-groups, ranks and reduce ops.

nerve runs on an existing distributed engine, never a network layer of its own: the
ranks are MPI's (``mpiexec -n N python script.py``), reached through mpi4py, which is
imported only when a group is made (``pip install "nerve[mpi]"`` brings mpi4py and the
``mpich`` wheel). The same script runs unchanged on a cluster's Open MPI, MPICH or
Intel MPI.
"""

from __future__ import annotations

import datetime
import enum
import importlib.util
import os
import sys

INSTALL = (
    'nerve.distributed needs mpi4py and an MPI library: pip install "nerve[mpi]" '
    "(mpi4py and the mpich wheel), then launch with mpiexec -n N python script.py"
)
NOT_INITIALIZED = (
    "Default process group has not been initialized, please make sure to call init_process_group."
)
default_pg_timeout = datetime.timedelta(minutes=30)


def mpi():
    """The ``mpi4py.MPI`` module (importing it initialises MPI), or an ImportError that
    says what to install."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(INSTALL) from e
    return MPI


class ReduceOp:
    """How ``all_reduce``/``reduce`` combine the ranks' tensors, as ``torch.distributed``:
    SUM, AVG (the sum divided by the group's size), PRODUCT, MIN, MAX and, for integer
    and bool tensors, BAND, BOR, BXOR."""

    class RedOpType(enum.Enum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM


class ProcessGroup:
    """A set of ranks that run collectives together: an MPI communicator of its own (a
    duplicate, so nerve's messages never mix with the program's own MPI traffic) and the
    members' global ranks in group-rank order."""

    def __init__(self, comm, ranks: list[int], timeout: datetime.timedelta) -> None:
        self.comm, self.ranks, self.timeout = comm, list(ranks), timeout

    def rank(self) -> int:
        return self.comm.Get_rank()

    def size(self) -> int:
        return len(self.ranks)

    def name(self) -> str:
        return "mpi"

    def __repr__(self) -> str:
        return f"ProcessGroup(backend='mpi', ranks={self.ranks})"


class GroupMember:
    """``GroupMember.WORLD`` is the default group once initialised;
    ``NON_GROUP_MEMBER`` is what :func:`new_group` gives a rank left out of it."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = object()


class group:  # noqa: N801 - torch.distributed.group
    WORLD: ProcessGroup | None = None


_state: dict = {"excepthook": None}


def is_available() -> bool:
    """Whether mpi4py can be imported (it is not imported here)."""
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available() -> bool:
    return is_available()


def is_gloo_available() -> bool:
    return False


def is_nccl_available() -> bool:
    return False


def is_initialized() -> bool:
    return GroupMember.WORLD is not None


def is_torchelastic_launched() -> bool:
    return False


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout: datetime.timedelta | None = None,
    world_size: int = -1,
    rank: int = -1,
    store=None,
    group_name: str = "",
    pg_options=None,
    device_id=None,
) -> None:
    """Make the default group of all MPI ranks. Rank and world size come from MPI;
    ``rank``/``world_size`` and the ``RANK``/``WORLD_SIZE`` variables of ``env://``,
    where given, must agree with it. ``timeout`` bounds every wait on a collective."""
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(
            f"init_process_group: nerve.distributed runs on MPI only: expected "
            f"backend='mpi' (or None), got {backend!r}"
        )
    if init_method not in (None, "env://"):
        raise ValueError(
            f"init_process_group: ranks come from MPI (mpiexec), so init_method "
            f"must be None or 'env://', got {init_method!r}"
        )
    if store is not None:
        raise ValueError("init_process_group: nerve takes ranks from MPI and has no Store")
    mpi_ = mpi()
    world = mpi_.COMM_WORLD
    _check_agrees("rank", rank, os.environ.get("RANK"), world.Get_rank())
    _check_agrees("world_size", world_size, os.environ.get("WORLD_SIZE"), world.Get_size())
    pg = ProcessGroup(world.Dup(), list(range(world.Get_size())), timeout or default_pg_timeout)
    GroupMember.WORLD = group.WORLD = pg
    if pg.size() > 1:
        _abort_on_uncaught_exception(mpi_, pg.rank(), pg.size())


def _check_agrees(name: str, given: int, env: str | None, actual: int) -> None:
    for source, value in ((f"{name}=", given), (f"the environment's {name.upper()}=", env)):
        if value is None or int(value) == -1 or int(value) == actual:
            continue
        hint = " (launch with mpiexec -n N)" if name == "world_size" else ""
        raise ValueError(f"init_process_group: {source}{value} but MPI gives {name} {actual}{hint}")


def _abort_on_uncaught_exception(mpi_, rank: int, size: int) -> None:
    """A rank that dies of an exception takes the job down (MPI_Abort) instead of
    leaving the others waiting for it in a collective forever."""
    prev = sys.excepthook

    def hook(kind, value, tb) -> None:
        prev(kind, value, tb)
        sys.stderr.write(
            f"nerve.distributed: rank {rank} raised {kind.__name__}: {value}; "
            f"aborting all {size} ranks\n"
        )
        sys.stderr.flush()
        mpi_.COMM_WORLD.Abort(1)

    _state["excepthook"] = prev
    sys.excepthook = hook


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Free ``group``'s communicator; without one, the default group and all others."""
    if group is None or group is GroupMember.WORLD:
        pg = GroupMember.WORLD
        if pg is None:
            raise AssertionError("Process group cannot be None")
        pg.comm.Free()
        GroupMember.WORLD = globals()["group"].WORLD = None
        if _state["excepthook"] is not None:
            sys.excepthook, _state["excepthook"] = _state["excepthook"], None
    elif group is not GroupMember.NON_GROUP_MEMBER:
        group.comm.Free()


def resolve(group: ProcessGroup | None) -> ProcessGroup | None:
    """The group a collective runs on; None for a rank outside ``group``."""
    pg = GroupMember.WORLD
    if pg is None:
        raise ValueError(NOT_INITIALIZED)
    if group is None:
        return pg
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"expected group to be a ProcessGroup or None, got {type(group)}")
    return group


def new_group(
    ranks=None,
    timeout=None,
    backend=None,
    pg_options=None,
    use_local_synchronization: bool = False,
    group_desc=None,
    device_id=None,
    sort_ranks: bool = True,
):
    """A group of the given global ``ranks`` (all by default). Every rank of the default
    group must call it; a rank outside ``ranks`` gets ``GroupMember.NON_GROUP_MEMBER``."""
    world = resolve(None)
    members = list(range(world.size())) if ranks is None else [int(r) for r in ranks]
    if sort_ranks:
        members.sort()
    bad = [r for r in members if not 0 <= r < world.size()]
    if bad or len(set(members)) != len(members):
        raise ValueError(
            f"new_group: ranks must be distinct and in [0, {world.size()}), got {list(ranks)}"
        )
    me = world.rank()
    mpi_ = mpi()
    color = 0 if me in members else mpi_.UNDEFINED
    comm = world.comm.Split(color, members.index(me) if me in members else 0)
    if me not in members:
        return GroupMember.NON_GROUP_MEMBER
    return ProcessGroup(comm, members, timeout or world.timeout)


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (the default group's rank is MPI's); -1 outside it."""
    pg = resolve(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    pg = resolve(group)
    return -1 if pg is None else pg.size()


def get_backend(group: ProcessGroup | None = None) -> str:
    resolve(group)
    return "mpi"


def group_rank(
    pg: ProcessGroup, global_rank: int | None, group_rank_: int | None, op: str, what: str = "src"
) -> int:
    """The group rank of a collective's root, given as a global rank or a group rank."""
    if group_rank_ is not None:
        if global_rank is not None:
            raise ValueError(f"{op}: give {what} or group_{what}, not both")
        r = int(group_rank_)
    elif global_rank is None:
        r = 0  # torch's default root for a missing src/dst
    else:
        if int(global_rank) not in pg.ranks:
            raise RuntimeError(
                f"{op}: invalid root rank: {global_rank} (the group's ranks are {pg.ranks})"
            )
        return pg.ranks.index(int(global_rank))
    if not 0 <= r < pg.size():
        raise RuntimeError(f"{op}: invalid root rank: {r} (group of size {pg.size()})")
    return r
