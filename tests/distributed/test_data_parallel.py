import re

import pytest

import nerve
from nerve.nn.parallel import DistributedDataParallel
from tests.distributed.mpirun import run_ok

CASES = [
    "mlp-sgd",
    "mlp-adam-small-buckets",
    "cnn-sgd",
    "cnn-adam",
    "mlp-no_sync-2",
    "cnn-no_sync-2",
]


def test_ddp_on_two_ranks_trains_as_one_process_on_the_whole_batch():
    out = run_ok("mpi_data_parallel.py", 2, timeout=90)
    for rank in (0, 1):
        seen = re.findall(rf"DDP {rank} (\S+) weights (\S+) losses (\S+)", out)
        assert [name for name, *_ in seen] == CASES, out
        for _, weights, losses in seen:  # the script asserts rtol 1e-5; this reports it
            assert float(weights) < 1e-5 and float(losses) < 1e-5
        assert f"DDP {rank} unused ok" in out and f"DDP {rank} buffers ok" in out
        assert f"DDP {rank} syncbn ok" in out


def test_ddp_needs_an_initialised_group():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedDataParallel(nerve.nn.Linear(2, 2))


def test_sync_batchnorm_is_batchnorm_without_a_group():
    import numpy as np
    import torch

    x = np.random.default_rng(0).standard_normal((6, 3, 2, 2)).astype(np.float32)
    ours, theirs = nerve.nn.SyncBatchNorm(3), torch.nn.SyncBatchNorm(3)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    bn = nerve.nn.BatchNorm2d(3)
    np.testing.assert_allclose(
        ours(nerve.tensor(x)).detach().numpy(), bn(nerve.tensor(x)).detach().numpy()
    )
    np.testing.assert_allclose(ours.running_var.numpy(), bn.running_var.numpy())
    with pytest.raises(ValueError, match="at least 2D"):
        ours(nerve.ones(3))


def test_convert_sync_batchnorm_keeps_parameters_and_buffers():
    from nerve import nn

    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Sequential(nn.BatchNorm1d(2)))
    model.eval()
    conv = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert conv is model and type(model[1]) is nn.SyncBatchNorm
    assert type(model[2][0]) is nn.SyncBatchNorm and not model[1].training
    bn = nn.BatchNorm2d(2)
    sync = nn.SyncBatchNorm.convert_sync_batchnorm(bn)
    assert sync.weight is bn.weight and sync.running_mean is bn.running_mean
