"""Run under mpiexec by test_collectives.py. ``raise``: rank 1 raises while rank 0 waits
in an allreduce; ``hang``: rank 1 never joins and rank 0's collective times out. Either
way the job must end, with the error, in bounded time."""

import datetime
import sys
import time

import nerve
import nerve.distributed as dist

mode = sys.argv[1]
# "raise" must end by rank 1's abort, not by rank 0's timeout: with 2 s there, a slow
# start of rank 1 on a loaded machine let rank 0 time out first and cut rank 1's message
seconds = 2 if mode == "hang" else 20
dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=seconds))
if dist.get_rank() == 1:
    if mode == "raise":
        raise ValueError("rank 1 fails on purpose")
    time.sleep(40)  # never joins: rank 0 must time out well before this
dist.all_reduce(nerve.ones(3))
