"""`nerve lab NAME`: runs a lab, prints its finding, writes its plot."""

import pytest

from nerve.cli import main


def test_lab_command(tmp_path, capsys):
    assert main(["lab", "conv-arithmetic", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "finding: 4 of 4 layers match" in out
    assert (tmp_path / "lab_conv_arithmetic.png").is_file()
    assert f"plot: {tmp_path / 'lab_conv_arithmetic.png'}" in out


def test_unknown_lab_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as err:
        main(["lab", "nope"])
    assert err.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_lab_parallel_command(tmp_path, capsys):
    assert main(["lab", "parallel", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "the four ways agree: max |difference|" in out
    assert "GPU: no GPU device in this build" in out
    assert (tmp_path / "lab_parallel.png").is_file()


def test_lab_bptt_command(tmp_path, capsys):
    assert main(["lab", "bptt", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "reach (first k with ratio < 1%): at init 8" in out
    assert "truncated BPTT with K = 8 cuts it to exactly 8 steps" in out
    assert (tmp_path / "lab_bptt.png").is_file()


def test_lab_exploding_command(tmp_path, capsys):
    assert main(["lab", "exploding", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "without clipping a gradient norm of" in out
    assert "clipped at max_norm = 1 the same run stays finite for all 60 steps" in out
    assert (tmp_path / "lab_exploding.png").is_file()


def test_lab_hello_command(tmp_path, capsys):
    assert main(["lab", "hello", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "vocabulary (the slide's order): h, e, l, o" in out
    assert "  l     0  0  1  0" in out  # the one-hot table
    assert 'it predicts "ello":' in out
    assert (tmp_path / "lab_hello.png").is_file()


def test_lab_traffic_sign_command(tmp_path, capsys):
    assert main(["lab", "traffic-sign", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Total params: 6,899" in out and "[1, 16, 8, 8]" in out
    assert "test accuracy" in out and "chance 33.3%" in out
    assert (tmp_path / "lab_traffic_sign.png").is_file()
