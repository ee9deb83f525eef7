"""Each lab's quick mode runs, writes its plot, and finds what the lecture claims."""

import os

import pytest

from nerve.diagnostics.labs import LAB_NAMES, run_lab


def _run(name, tmp_path, capsys):
    result = run_lab(name, quick=True, out=str(tmp_path))
    out = capsys.readouterr().out
    assert f"finding: {result.finding}" in out
    assert result.plot == str(tmp_path / f"lab_{name.replace('-', '_')}.png")
    assert os.path.getsize(result.plot) > 1000
    return result.numbers


def test_backprop(tmp_path, capsys):
    """The lecture's network (tests/diagnostics/test_labs_lecture.py checks every number)."""
    n = _run("backprop", tmp_path, capsys)
    assert round(n["y_hat"], 4) == 0.6250 and round(n["E"], 4) == 0.0703


def test_graph(tmp_path, capsys):
    n = _run("graph", tmp_path, capsys)
    assert (n["df_dx"], n["df_dy"], n["df_dz"]) == (-4.0, -4.0, 3.0)


def test_vanishing(tmp_path, capsys):
    n = _run("vanishing", tmp_path, capsys)
    sig, relu, res = n["sigmoid"], n["relu"], n["residual"]
    assert sig["ratio"] < 1e-4
    assert relu["ratio"] / sig["ratio"] > 1e4 and res["ratio"] / sig["ratio"] > 1e4
    assert 0.1 < relu["ratio"] < 10 and 0.1 < res["ratio"] < 10
    assert sig["test_accuracy"] < 0.3  # does not learn
    assert relu["test_accuracy"] > 0.8 and res["test_accuracy"] > 0.8
    assert sig["problems"] == ["vanishing"] and relu["problems"] == res["problems"] == []


def test_init(tmp_path, capsys):
    n = _run("init", tmp_path, capsys)
    assert n["tanh, N(0,1)"]["saturated"] > 0.5
    assert n["tanh, 0.01·N(0,1)"]["variance"][-1] < 1e-8
    assert n["tanh, Glorot"]["ratio"] > 0.1
    assert 0.5 < n["ReLU, He"]["ratio"] < 2
    assert n["ReLU, Glorot"]["ratio"] < n["ReLU, He"]["ratio"] / 5
    assert n["ReLU, N(0,1)"]["ratio"] > 1e4


def test_activations(tmp_path, capsys):
    n = _run("activations", tmp_path, capsys)
    assert set(n) == {"ReLU", "leaky ReLU", "PReLU", "RReLU", "CReLU"}
    for v in n.values():
        assert v["test_error"] < 0.1 and v["train_error"] < 0.1


def test_regularization(tmp_path, capsys):
    n = _run("regularization", tmp_path, capsys)
    base = n["none"]
    assert base["train_error"] < 0.02 and base["test_error"] > 0.15  # memorises the noise
    assert n["early stopping"]["test_error"] < base["test_error"] - 0.05
    assert n["L2 weight decay"]["test_error"] < base["test_error"] - 0.05
    assert n["L2 weight decay"]["weight_norm"] < base["weight_norm"] / 2
    assert n["dropout 0.5"]["test_error"] < base["test_error"]
    early = n["pruning 95% early"]
    assert early["test_error"] < base["test_error"] - 0.05
    assert early["test_error_long"] > early["test_error"]  # slows memorisation, no more
    assert n["pruning 90% after"]["test_error"] < base["test_error"] + 0.05  # compression
    for k in ("L2 weight decay", "dropout 0.5", "early stopping", "pruning 95% early"):
        assert n[k]["train_error"] > base["train_error"]


def test_rnn_memory(tmp_path, capsys):
    n = _run("rnn-memory", tmp_path, capsys)
    assert n["LSTM"]["accuracy"] > 0.9 and n["GRU"]["accuracy"] > 0.9
    assert n["RNN"]["accuracy"] < 0.75
    assert n["RNN"]["grad_ratio"] < n["LSTM"]["grad_ratio"] / 100
    assert n["RNN"]["grad_ratio"] < n["GRU"]["grad_ratio"] / 100


def test_conv_arithmetic(tmp_path, capsys):
    n = _run("conv-arithmetic", tmp_path, capsys)
    assert n["matches"] == n["examples"] == 4
    assert n["rows"]["5x5 conv, pad 2 (32x32x3)"] == {"output": (10, 32, 32), "parameters": 760}


def test_every_lab_is_tested_and_unknown_names_fail():
    assert set(LAB_NAMES) == {
        "backprop",
        "graph",
        "vanishing",
        "init",
        "activations",
        "regularization",
        "rnn-memory",
        "conv-arithmetic",
        "parallel",
        "bptt",
        "exploding",
        "hello",
        "traffic-sign",
    }
    with pytest.raises(ValueError, match="unknown lab 'nope'"):
        run_lab("nope")
