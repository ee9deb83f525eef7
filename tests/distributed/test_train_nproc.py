"""``nerve train TASK --nproc 2``: the command launches ``mpiexec -n 2`` itself; rank 0
alone prints and writes one checkpoint, which a 1-process run loads and resumes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import nerve
from nerve.tasks.base import open_run, run_history
from nerve.tasks.parallel import launcher_world_size, strip_nproc
from tests.distributed.mpirun import ROOT, mpiexec


def nerve_train(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    mpiexec()  # a clear failure if the test extra's MPI is missing
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK", "NERVE_TRAIN_NPROC")
    }
    env["PYTHONPATH"] = str(ROOT)
    cmd = [sys.executable, "-m", "nerve", "train", *args]
    try:
        return subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError(
            f"{' '.join(cmd)} hung: no result after {timeout} s\n"
            f"stdout: {e.stdout}\nstderr: {e.stderr}"
        ) from None


def test_train_on_two_processes_writes_one_checkpoint_and_resumes(tmp_path):
    out = tmp_path / "run"
    p = nerve_train(
        "digits-mlp",
        "--epochs",
        "2",
        "--hidden",
        "32",
        "--nproc",
        "2",
        "--out",
        str(out),
        "--quiet",
    )
    assert p.returncode == 0, f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    lines = p.stdout.splitlines()
    assert len(lines) == len(set(lines)), p.stdout  # rank 0 alone prints
    assert sum(line.startswith("digits-mlp: test") for line in lines) == 1, p.stdout
    assert sum(line.startswith("checkpoint:") for line in lines) == 1, p.stdout
    assert sorted(os.listdir(out)) in (["last.nrv"], ["history.png", "last.nrv"])
    ckpt = str(out / "last.nrv")
    assert [e["epoch"] for e in run_history(ckpt)] == [0, 1]
    _, model, obj = open_run(ckpt)  # the plain module's keys: loads into 1 process
    assert not any(k.startswith("module.") for k in obj["model"])
    assert model(nerve.zeros(3, 64)).shape == (3, 10)

    p = nerve_train("--resume", ckpt, "--epochs", "3", "--nproc", "2", "--quiet")
    assert p.returncode == 0, f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    history = run_history(ckpt)
    assert [e["epoch"] for e in history] == [0, 1, 2]
    assert history[2]["loss"] < history[0]["loss"]


def test_nproc_is_stripped_and_the_launcher_is_seen(monkeypatch):
    assert strip_nproc(["train", "x", "--nproc", "2", "--quiet"]) == ["train", "x", "--quiet"]
    assert strip_nproc(["train", "--nproc=4", "--epochs", "2"]) == ["train", "--epochs", "2"]
    for var in (
        "PMI_RANK",
        "PMI_SIZE",
        "OMPI_COMM_WORLD_RANK",
        "OMPI_COMM_WORLD_SIZE",
        "NERVE_TRAIN_NPROC",
    ):
        monkeypatch.delenv(var, raising=False)
    assert launcher_world_size() is None
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "1")
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    assert launcher_world_size() == 4


def test_nproc_must_be_positive():
    from nerve.cli import main

    assert main(["train", "digits-mlp", "--nproc", "0"]) == 1
    with pytest.raises(ValueError, match="--nproc must be at least 1, got 0"):
        main(["--debug", "train", "digits-mlp", "--nproc", "0"])
