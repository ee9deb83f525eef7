"""`nerve train/eval/generate --device cuda`: the model and every batch on the device, the
checkpoint loadable on the CPU, and the CPU's numbers. Tasks whose ops are not on the
device yet are strict xfails (the list in not_on_device.py)."""

import numpy as np
import pytest
from not_on_device import TRAINING_NOT_YET, run_check

import nerve
from nerve.cli import main
from nerve.tasks import open_run

TRAIN = ["--epochs", "1", "--quiet", "--seed", "3"]


def _train_both(tmp_path, task, extra=()):
    runs = {}
    for dev in ("cpu", "cuda"):
        out = str(tmp_path / dev)
        assert main(["train", task, "--out", out, "--device", dev, *TRAIN, *extra]) == 0
        runs[dev] = out
    return runs


def _check_digits(tmp_path, capsys):
    runs = _train_both(tmp_path, "digits-mlp")
    capsys.readouterr()
    _, model, _ = open_run(runs["cuda"], "cuda")
    assert all(p.is_cuda for p in model.parameters())
    _, on_cpu, _ = open_run(runs["cuda"])  # a checkpoint written on cuda opens on the cpu
    _, cpu_run, _ = open_run(runs["cpu"])
    assert not any(p.is_cuda for p in on_cpu.parameters())
    for p, q in zip(on_cpu.parameters(), cpu_run.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert main(["eval", runs["cuda"], "--device", "cuda"]) == 0
    on_dev = capsys.readouterr().out
    assert main(["eval", runs["cuda"]]) == 0
    assert capsys.readouterr().out == on_dev  # the same report from either device


@pytest.mark.parametrize(
    "task",
    [
        pytest.param(
            "digits-mlp",
            marks=[pytest.mark.xfail(strict=True, reason="ops not on the device yet")]
            if "digits-mlp" in TRAINING_NOT_YET
            else [],
        )
    ],
)
def test_train_and_eval_on_cuda_match_the_cpu(tmp_path, capsys, task):
    run_check(task in TRAINING_NOT_YET, _check_digits, tmp_path, capsys)


def test_device_that_does_not_exist_is_one_clear_line(tmp_path, capsys):
    assert main(["train", "digits-mlp", "--out", str(tmp_path), "--device", "cuda:7", *TRAIN]) == 1
    err = capsys.readouterr().err
    assert "invalid device ordinal" in err and len(err.strip().splitlines()) == 1
    assert nerve.cuda.device_count() == 1
