"""`nerve export CHECKPOINT out.onnx` for the command's tasks."""

from __future__ import annotations

import numpy as np
import pytest
from onnxcheck import first, ort

import nerve
from nerve.cli import main
from nerve.tasks import open_run


def _check(ckpt, out, capsys, make_input):
    assert main(["export", str(ckpt), str(out)]) == 0
    assert "opset 17" in capsys.readouterr().out
    task, model, _ = open_run(str(ckpt))
    model.eval()
    session = ort.InferenceSession(str(out))
    for n in (1, 4):
        x = make_input(n)
        with nerve.no_grad():
            want = first(model(x)).numpy()
        got = session.run(None, {"input": x.numpy()})[0]
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_export_digits_mlp_checkpoint(tmp_path, capsys):
    run = tmp_path / "mlp"
    assert (
        main(
            ["train", "digits-mlp", "--epochs", "1", "--hidden", "16", "--out", str(run), "--quiet"]
        )
        == 0
    )
    _check(run / "last.nrv", tmp_path / "mlp.onnx", capsys, lambda n: nerve.randn(n, 64))


def test_export_charlm_checkpoint(tmp_path, capsys):
    run = tmp_path / "lm"
    assert (
        main(
            [
                "train",
                "charlm",
                "--epochs",
                "1",
                "--hidden",
                "16",
                "--set",
                "max_chars=3000",
                "--set",
                "seq_len=16",
                "--out",
                str(run),
                "--quiet",
            ]
        )
        == 0
    )
    rng = np.random.default_rng(0)
    n_vocab = open_run(str(run / "last.nrv"))[1].embed.weight.shape[0]
    _check(
        run / "last.nrv",
        tmp_path / "lm.onnx",
        capsys,
        lambda n: nerve.tensor(rng.integers(0, n_vocab, (n, 16))),
    )


def test_export_of_a_missing_checkpoint_is_one_line_error(tmp_path, capsys):
    assert main(["export", str(tmp_path / "none.nrv"), str(tmp_path / "x.onnx")]) == 1
    assert "checkpoint not found" in capsys.readouterr().err


@pytest.mark.parametrize("opset", [17, 20])
def test_export_opset_flag(tmp_path, capsys, opset):
    import onnx

    run = tmp_path / "mlp"
    assert (
        main(
            ["train", "digits-mlp", "--epochs", "1", "--hidden", "8", "--out", str(run), "--quiet"]
        )
        == 0
    )
    out = tmp_path / "m.onnx"
    assert main(["export", str(run / "last.nrv"), str(out), "--opset", str(opset)]) == 0
    assert onnx.load(str(out)).opset_import[0].version == opset
