"""The CI-sized run of tools/kill_resume.py: `nerve train digits-mlp` (dropout on) killed
with SIGKILL twice at random moments and resumed ends bitwise where an uninterrupted run
ends (weights, optimizer, RNG, loss trajectory), with no temporary file left behind."""

import os
import random
import sys

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")
sys.path.insert(0, TOOLS)
import kill_resume  # noqa: E402


def test_killed_and_resumed_training_ends_bitwise_where_an_uninterrupted_run_ends(
    tmp_path, monkeypatch
):
    monkeypatch.setitem(
        kill_resume.TASKS, "digits-mlp", ["--epochs", "4", "--hidden", "64", "--set", "dropout=0.3"]
    )
    result = kill_resume.run_task("digits-mlp", 2, str(tmp_path), random.Random(7))
    assert result["kills"] == 2
    assert result["loadable_after_kill"] + result["no_checkpoint_yet"] == 2
    assert result["identical"], result["differing_keys"]
    assert result["epochs_in_history"] == 4
    assert result["stale_temporaries"] == []


def test_a_resume_keeps_the_whole_loss_trajectory_in_the_checkpoint(tmp_path):
    from nerve.tasks import get_task
    from nerve.tasks.base import run_history
    from nerve.tasks.runner import run_training

    def task(epochs):
        return get_task("digits-mlp", {"epochs": epochs, "hidden": 32, "dropout": 0.3})

    run_training(task(3), str(tmp_path / "ref"), verbose=False)
    run_training(task(3), str(tmp_path / "cut"), verbose=False)
    ref = run_history(str(tmp_path / "ref" / "last.nrv"))
    # resuming from the finished run's file trains nothing and keeps all three epochs
    _, history, _ = run_training(
        task(3), str(tmp_path / "cut"), resume=str(tmp_path / "cut" / "last.nrv"), verbose=False
    )
    assert [e["epoch"] for e in ref] == [0, 1, 2]
    assert run_history(str(tmp_path / "cut" / "last.nrv")) == ref
    assert history.epoch == [0, 1, 2] and history.history["loss"] == [e["loss"] for e in ref]


def test_a_save_killed_mid_write_leaves_the_previous_whole_file_and_no_temporaries(tmp_path):
    result = kill_resume.kill_writes(3, str(tmp_path), random.Random(3))
    assert result["killed_during_write"] >= 1  # the kills did land inside writes
    assert result["loaded_whole"] + result["no_checkpoint_yet"] == 3
    assert result["stale_temporaries"] == []
