import re
import subprocess
import sys

import pytest
import torch.distributed as tdist

import nerve
import nerve.distributed as dist
from tests.distributed.mpirun import run, run_ok


def test_every_collective_on_two_ranks_matches_numpy():
    out = run_ok("mpi_collectives.py", 2)
    counts = dict(re.findall(r"CHECKED (\d) (\d+)", out))
    assert set(counts) == {"0", "1"}, out
    assert int(counts["0"]) > 90 and int(counts["1"]) > 90, out  # every check ran


def test_a_rank_that_raises_fails_the_job_quickly_with_its_error():
    rc, out, err, seconds = run("mpi_failure.py", 2, "raise", timeout=60)
    assert rc != 0
    assert "rank 1 fails on purpose" in err and "aborting all 2 ranks" in err, err
    assert seconds < 30


def test_a_rank_that_never_joins_times_the_collective_out():
    rc, out, err, seconds = run("mpi_failure.py", 2, "hang", timeout=60)
    assert rc != 0
    assert "timed out after 2 s" in err, err
    assert seconds < 30


def test_import_nerve_does_not_import_mpi4py():
    code = (
        "import sys, nerve, nerve.distributed, nerve.nn.parallel; "
        "from nerve.utils.data.distributed import DistributedSampler; "
        "print('mpi4py' in sys.modules, nerve.distributed.is_initialized())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_without_mpi4py_init_says_what_to_install():
    code = (
        "import sys; sys.modules['mpi4py'] = None\n"
        "import nerve.distributed as d\n"
        "try:\n    d.init_process_group('mpi')\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert 'pip install "nerve[mpi]"' in out


@pytest.mark.parametrize(
    "fn", [dist.get_rank, dist.get_world_size, dist.barrier, lambda: dist.all_reduce(nerve.ones(2))]
)
def test_before_init_raises_as_torch(fn):
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        fn()


def test_reduce_ops_and_names_as_torch():
    for name, op in tdist.ReduceOp.RedOpType.__members__.items():
        assert getattr(dist.ReduceOp, name).value == op.value
    assert dist.is_available() and dist.is_mpi_available()
    assert dist.default_pg_timeout == tdist.default_pg_timeout


def test_init_refuses_other_backends_and_methods():
    with pytest.raises(ValueError, match="MPI only"):
        dist.init_process_group("gloo")
    with pytest.raises(ValueError, match="init_method"):
        dist.init_process_group("mpi", init_method="tcp://127.0.0.1:1234")
    assert not dist.is_initialized()
