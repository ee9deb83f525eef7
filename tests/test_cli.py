"""The `nerve` command: round trips through checkpoints, errors, exit codes."""

import os

import pytest

from nerve.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("mlp")
    assert main(["train", "digits-mlp", "--epochs", "2", "--out", str(out), "--quiet"]) == 0
    return out


def test_train_eval_resume_round_trip(mlp_run, capsys):
    ckpt = str(mlp_run / "last.nrv")
    code, out, _ = run(capsys, "eval", ckpt)
    assert code == 0 and "digits-mlp: test" in out and "accuracy" in out
    acc2 = float(out.split("accuracy")[1].split()[0])
    assert 0.5 < acc2 <= 1.0
    code, out, _ = run(
        capsys,
        "train",
        "digits-mlp",
        "--epochs",
        "4",
        "--resume",
        ckpt,
        "--out",
        str(mlp_run),
        "--quiet",
    )
    assert code == 0
    code, out, _ = run(capsys, "eval", ckpt)
    assert code == 0 and float(out.split("accuracy")[1].split()[0]) >= acc2 - 0.02


def test_resume_after_interrupt_matches_uninterrupted_run(tmp_path, monkeypatch, capsys):
    """Ctrl-C after the first epoch's checkpoint, then the same command with --resume:
    the weights equal those of a run that was never interrupted."""
    import nerve
    from nerve.tasks import runner

    a, b = tmp_path / "a", tmp_path / "b"
    args = ["train", "digits-cnn", "--epochs", "2", "--hidden", "8", "--quiet"]
    assert main(args + ["--out", str(a)]) == 0
    save_epoch = runner._EpochCheckpoint.on_epoch_end

    def interrupt(self, epoch, logs=None):
        save_epoch(self, epoch, logs)
        raise KeyboardInterrupt

    monkeypatch.setattr(runner._EpochCheckpoint, "on_epoch_end", interrupt)
    assert main(args + ["--out", str(b)]) == 130
    monkeypatch.undo()
    assert nerve.load(str(b / "last.nrv"))["epoch"] == 1
    assert main(args + ["--out", str(b), "--resume", str(b / "last.nrv")]) == 0
    wa, wb = nerve.load(str(a / "last.nrv"))["model"], nerve.load(str(b / "last.nrv"))["model"]
    for k in wa:
        assert (wa[k].numpy() == wb[k].numpy()).all(), k


def test_charlm_train_generate(tmp_path, capsys):
    out = tmp_path / "lm"
    code, text, _ = run(
        capsys,
        "train",
        "charlm",
        "--epochs",
        "1",
        "--hidden",
        "32",
        "--set",
        "max_chars=6000",
        "--set",
        "seq_len=32",
        "--out",
        str(out),
        "--quiet",
    )
    assert code == 0 and "perplexity" in text and "unigram_perplexity" in text
    code, text, _ = run(
        capsys, "generate", str(out / "last.nrv"), "--length", "50", "--prime", "The "
    )
    assert code == 0 and text.startswith("The ") and len(text.rstrip("\n")) >= 54


def test_config_file(tmp_path, capsys):
    cfg = tmp_path / "task.toml"
    cfg.write_text('task = "digits-mlp"\n[train]\nepochs = 1\nbatch_size = 64\nhidden = 16\n')
    code, out, _ = run(
        capsys, "train", "--config", str(cfg), "--out", str(tmp_path / "r"), "--quiet"
    )
    assert code == 0 and os.path.exists(tmp_path / "r" / "last.nrv")


@pytest.mark.parametrize("damage", ["garbage", "truncate"])
def test_damaged_checkpoint_is_one_line_error(mlp_run, tmp_path, capsys, damage):
    src = (mlp_run / "last.nrv").read_bytes()
    bad = tmp_path / "bad.nrv"
    bad.write_bytes(b"not a checkpoint at all" if damage == "garbage" else src[: len(src) // 2])
    code, out, err = run(capsys, "eval", str(bad))
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("nerve: error:")
    assert "Traceback" not in err


def test_missing_data_folder(tmp_path, capsys):
    code, _, err = run(
        capsys,
        "train",
        "charlm",
        "--set",
        f"text={tmp_path / 'nope'}",
        "--quiet",
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 1 and "nope" in err and err.count("\n") == 1


def test_bad_option_exits_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "digits-mlp", "--epochs", "many"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["train", "no-such-task"])
    assert e.value.code == 2
    for bad in (
        ["--set", "hiden=8"],
        ["--set", "epochs=many"],
        ["--set", "momentum=0.5"],
        ["--optimizer", "nope"],
    ):  # the task's config finds these: usage errors too
        with pytest.raises(SystemExit) as e:
            main(["train", "digits-mlp", *bad])
        assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("usage: nerve train") == 6 and "Traceback" not in err


def test_debug_shows_a_config_errors_traceback(capsys):
    from nerve.tasks.config import ConfigError

    with pytest.raises(ConfigError, match="unknown option 'hiden'"):
        main(["--debug", "train", "digits-mlp", "--set", "hiden=8"])


def test_generate_needs_a_text_task(mlp_run, capsys):
    code, _, err = run(capsys, "generate", str(mlp_run / "last.nrv"))
    assert code == 1 and "does not generate" in err


def test_info(capsys):
    code, out, _ = run(capsys, "info")
    assert code == 0 and "nerve" in out and "BLAS" in out and "numpy" in out


def test_info_shows_the_blas_threads():
    import subprocess
    import sys

    from nerve.backend import blas

    env = dict(os.environ, NERVE_BLAS_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-m", "nerve", "info"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=os.path.dirname(os.path.dirname(__file__)),
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("threads: "))
    if blas.available():
        assert f"BLAS 1 of {blas.max_threads()} now, fixed at 1" in line
    assert f"{os.cpu_count()} cores" in line and "nerve's own passes" in line


def test_info_needs_no_threadpoolctl_for_the_threads(capsys, monkeypatch):
    import sys

    from nerve.backend import blas

    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import raises ImportError
    code, out, _ = run(capsys, "info")
    line = next(x for x in out.splitlines() if x.startswith("threads: "))
    assert code == 0 and "BLAS " in line
    if blas.available():
        assert f"of {blas.max_threads()} now" in line


def test_import_nerve_does_not_load_threadpoolctl():
    import subprocess
    import sys

    code = "import sys, nerve; print('threadpoolctl' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(__file__)),
    )
    assert out.stdout.strip() == "False"


def test_help_has_examples(capsys):
    for cmd in (["--help"], ["train", "--help"], ["bench", "--help"], ["generate", "--help"]):
        with pytest.raises(SystemExit) as e:
            main(cmd)
        assert e.value.code == 0
        assert "example" in capsys.readouterr().out


def test_reber_task_lstm_remembers(tmp_path, capsys):
    code, out, _ = run(
        capsys,
        "train",
        "reber",
        "--epochs",
        "10",
        "--set",
        "train_size=3000",
        "--quiet",
        "--out",
        str(tmp_path / "r"),
    )
    assert code == 0
    acc = float(out.split("long_range_accuracy")[1].split()[0])
    assert acc > 0.9


def test_quiet_prints_the_results_only(tmp_path, capsys):
    code, out, err = run(
        capsys,
        "train",
        "digits-mlp",
        "--epochs",
        "2",
        "--hidden",
        "8",
        "--out",
        str(tmp_path),
        "--quiet",
    )
    assert code == 0 and "digits-mlp: test loss" in out
    assert "Epoch" not in out + err and "batch/s" not in err


def test_eval_of_a_folder_without_a_checkpoint_names_what_it_looked_for(tmp_path, capsys):
    code, _, err = run(capsys, "eval", str(tmp_path))
    assert code == 1 and f"checkpoint not found: {tmp_path / 'last.nrv'}" in err


def test_learning_curves_are_titled_with_the_task(tmp_path, capsys, monkeypatch):
    import nerve

    titles = []
    monkeypatch.setattr(
        nerve.train.History,
        "plot",
        lambda self, path, keys=None, title=None, dpi=100: titles.append(title),
    )
    code, _, _ = run(
        capsys,
        "train",
        "digits-mlp",
        "--epochs",
        "1",
        "--hidden",
        "8",
        "--out",
        str(tmp_path),
        "--quiet",
    )
    assert code == 0 and titles == ["digits-mlp: learning curves"]


def test_redirected_output_is_written_line_by_line(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys; from nerve.cli import main; main(['info']); "
        "print('line-buffered', sys.stdout.line_buffering)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(__file__)),
    ).stdout
    assert "line-buffered True" in out
