"""`nerve train --resume` continues the checkpoint's own run: its options (unless given
again), its folder, its whole history, and a schedule rebuilt when --epochs changes."""

import os

import pytest

from nerve.cli import main
from nerve.tasks.base import run_history

SMALL = ["--hidden", "16", "--batch-size", "128", "--quiet"]


def _lrs(path):
    return [e["lr"] for e in run_history(str(path))]


def test_resume_with_more_epochs_follows_the_longer_schedule(tmp_path, capsys):
    ref, cut = tmp_path / "ref", tmp_path / "cut"
    assert main(["train", "digits-mlp", "--epochs", "4", "--out", str(ref), *SMALL]) == 0
    assert main(["train", "digits-mlp", "--epochs", "2", "--out", str(cut), *SMALL]) == 0
    two = _lrs(cut / "last.nrv")
    capsys.readouterr()
    # no --out, no --hidden: the checkpoint's folder and options
    assert main(["train", "--resume", str(cut / "last.nrv"), "--epochs", "4"]) == 0
    printed = capsys.readouterr().out
    assert "schedule is rebuilt for 4 epochs (the checkpoint's run planned 2)" in printed
    assert str(cut / "last.nrv") in printed
    lrs = _lrs(cut / "last.nrv")
    assert lrs[:2] == two  # the first two epochs as they ran
    assert lrs[2:] == pytest.approx(_lrs(ref / "last.nrv")[2:], rel=1e-12)
    assert min(lrs[2:]) > 0  # the old 2-epoch cosine would train epoch 3 at lr 0
    assert [e["epoch"] for e in run_history(str(cut / "last.nrv"))] == [0, 1, 2, 3]
    assert os.path.exists(cut / "history.png") or "skipped" in printed


def test_resume_refuses_a_checkpoint_of_another_task(tmp_path):
    assert main(["train", "digits-mlp", "--epochs", "1", "--out", str(tmp_path), *SMALL]) == 0
    assert main(["train", "charlm", "--resume", str(tmp_path / "last.nrv")]) != 0


@pytest.mark.parametrize(
    "option,value,word",
    [
        ("--hidden", "0", "hidden"),
        ("--epochs", "0", "epochs"),
        ("--batch-size", "-4", "batch_size"),
        ("--lr", "0", "lr"),
    ],
)
def test_sizes_that_cannot_train_get_one_line(tmp_path, capsys, option, value, word):
    assert main(["train", "digits-mlp", option, value, "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"digits-mlp: {word} must be" in err and value in err


def test_eval_takes_the_run_folder(tmp_path, capsys):
    assert main(["train", "digits-mlp", "--epochs", "1", "--out", str(tmp_path), *SMALL]) == 0
    capsys.readouterr()
    assert main(["eval", str(tmp_path)]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_no_progress_bars_when_the_output_is_not_a_terminal(tmp_path, capsys):
    assert (
        main(["train", "digits-mlp", "--epochs", "2", "--hidden", "16", "--out", str(tmp_path)])
        == 0
    )
    captured = capsys.readouterr()
    assert "batch/s" not in captured.err and "\r" not in captured.err
    assert "Epoch 2/2" in captured.out + captured.err  # the per-epoch summaries stay
