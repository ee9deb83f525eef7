import re

import pytest

import nerve
from nerve.nn.parallel import DistributedDataParallel
from tests.distributed.mpirun import run_ok

CASES = ["mlp-sgd", "mlp-adam-small-buckets", "cnn-sgd", "cnn-adam", "mlp-no_sync-2",
         "cnn-no_sync-2"]


def test_ddp_on_two_ranks_trains_as_one_process_on_the_whole_batch():
    out = run_ok("mpi_data_parallel.py", 2, timeout=90)
    for rank in (0, 1):
        seen = re.findall(rf"DDP {rank} (\S+) weights (\S+) losses (\S+)", out)
        assert [name for name, *_ in seen] == CASES, out
        for _, weights, losses in seen:  # the script asserts rtol 1e-5; this reports it
            assert float(weights) < 1e-5 and float(losses) < 1e-5
        assert f"DDP {rank} unused ok" in out and f"DDP {rank} buffers ok" in out


def test_ddp_needs_an_initialised_group():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedDataParallel(nerve.nn.Linear(2, 2))
