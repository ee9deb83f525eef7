"""The benchmark harness's logic on stand-ins and tiny workloads: the order of the
processes, the pair statistics, the tables, the busy processes, the floors. No timing is
asserted (speed lives in the benchmarks, not in tests)."""

import os
import re

import pytest

from benchmarks import child, floor, load, registry, report, run, runner


def fake_compare(times):
    """A stand-in for runner.compare giving fixed seconds per framework and condition."""

    def compare(name, pairs, rounds, env, with_torch, loaded, min_time):
        res = {
            "name": name,
            "error": None,
            "floor": [0.5] * pairs,
            "blas_policy": "stand-in",
            "quiet": {"nerve": [times["nerve"]] * pairs},
        }
        if with_torch:
            res["quiet"]["torch"] = [times["torch"]] * pairs
        if loaded:
            res["loaded"] = {fw: [2 * s for s in res["quiet"][fw]] for fw in res["quiet"]}
        return res

    return compare


def test_compare_alternates_the_frameworks_and_loads_the_machine_for_the_loaded_runs():
    calls = []

    def child_run(name, fw, rounds, env, min_time):
        busy = [p for p in load._live if p.poll() is None]
        calls.append((fw, len(busy)))
        return (
            {"s": 2.0 if busy else 1.0, "floor_s": 0.25}
            if fw == "nerve"
            else {"s": 3.0 if busy else 1.5}
        )

    res = runner.compare("x", pairs=2, rounds=1, env={}, loaded=1, child=child_run)
    assert calls == [("nerve", 0), ("torch", 0), ("nerve", 1), ("torch", 1)] * 2
    assert res["quiet"] == {"nerve": [1.0, 1.0], "torch": [1.5, 1.5]}
    assert res["loaded"] == {"nerve": [2.0, 2.0], "torch": [3.0, 3.0]}
    assert res["floor"] == [0.25, 0.25] and res["error"] is None
    assert not [p for p in load._live if p.poll() is None]  # the busy processes are gone


def test_compare_keeps_the_first_error_and_goes_on():
    res = runner.compare(
        "x", pairs=2, rounds=1, env={}, with_torch=False, child=lambda *a, **k: {"error": "boom"}
    )
    assert res["error"] == "nerve: boom" and res["quiet"] == {"nerve": [None, None]}
    assert report.pair_ratios([2.0, None, 6.0], [1.0, 1.0, None]) == [2.0]
    assert report._median([None, 3.0, 1.0]) == 2.0


def test_pair_statistics():
    r = report.pair_ratios([3.0, 2.0, 9.0], [1.0, 1.0, 3.0])
    assert r == [3.0, 2.0, 3.0]
    assert report.ratio_summary(r) == (3.0, 2.0, 3.0)
    assert report.fmt_ratio((3.0, 2.0, 3.0)) == "3.00x (2.00-3.00)"
    assert report.fmt_ratio((1.5, 1.5, 1.5)) == "1.50x"
    assert report.ratio_summary([]) is None and report.fmt_ratio(None) == "-"


def test_rows_give_rates_floor_share_and_slowdowns():
    w = runner.Workload("mlp_train", "samples", 100, None, None)
    res = fake_compare({"nerve": 1.0, "torch": 2.0})("mlp_train", 3, 1, {}, True, 2, 0.1)
    assert report.quiet_row(res, w) == [
        "mlp_train",
        "100 samples/s",
        "50 samples/s",
        "2.00x",
        "500.00 ms",
        "50%",
    ]
    assert report.loaded_row(res, w) == [
        "mlp_train",
        "50 samples/s",
        "25 samples/s",
        "2.00x",
        "2.00x",
        "1.00",
    ]
    lat = runner.Workload("b1", "latency", 1, None, None)
    assert report.fmt_rate(2e-5, lat.unit, 1) == "20.0 µs" and report.fmt_rate(None, "x", 1) == "-"


def test_main_prints_both_tables_and_markdown(capsys):
    code = run.main(
        ["mlp_train", "--loaded", "--markdown", "--no-env-rerun", "--pairs", "2"],
        compare=fake_compare({"nerve": 1.0, "torch": 1.0}),
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "| mlp_train | 128 samples/s | 128 samples/s | 1.00x | 500.00 ms | 50% |" in out
    assert "| mlp_train | 64 samples/s | 64 samples/s | 2.00x | 2.00x | 1.00 |" in out
    assert "2 pairs x 5 rounds" in out and "beside 2 busy processes" in out


def test_without_torch_the_output_says_so(monkeypatch, capsys):
    monkeypatch.setattr(runner, "torch_available", lambda: False)
    monkeypatch.setattr(runner, "compare", fake_compare({"nerve": 1.0, "torch": 1.0}))
    assert run.main(["op_record", "--no-env-rerun"]) == 0
    out = capsys.readouterr().out
    assert "torch is not installed" in out and "pip install" in out
    row = next(line for line in out.splitlines() if line.startswith("op_record"))
    assert re.split(r"\s{2,}", row.strip())[1:4] == ["1000.00 ms", "-", "-"]


def test_the_environment_variables_are_unset_for_the_second_run(monkeypatch, capsys):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    envs = []

    def compare(name, pairs, rounds, env, *a):
        envs.append(env)
        return fake_compare({"nerve": 1.0, "torch": 1.0})(name, pairs, rounds, env, *a)

    assert run.main(["op_record"], compare=compare) == 0
    assert envs[0]["OPENBLAS_CORETYPE"] == "Haswell" and "OPENBLAS_CORETYPE" not in envs[1]
    assert os.environ["OPENBLAS_CORETYPE"] == "Haswell"  # this process's own stays
    out = capsys.readouterr().out
    assert "OPENBLAS_L2_SIZE: OPENBLAS_CORETYPE=Haswell;" in out and "L2_SIZE: unset;" in out


def test_bad_arguments_and_unknown_workloads_get_one_clear_line(capsys):
    with pytest.raises(SystemExit, match="unknown workload.*nope.*mlp_train"):
        run.main(["nope"])
    with pytest.raises(SystemExit):
        run.main(["--pairs", "0"])
    assert "--pairs, --rounds and --busy must be at least 1" in capsys.readouterr().err


def test_help_documents_the_commands(capsys):
    with pytest.raises(SystemExit):
        run.main(["--help"])
    out = capsys.readouterr().out
    for cmd in ("--markdown", "--loaded --markdown", "benchmarks.gemm --threads"):
        assert cmd in out


def test_every_workload_with_gemms_has_a_floor_and_the_mlp_has_eight():
    ws = {w.name: w for w in registry.all_workloads()}
    assert len(floor.gemms_of(ws["mlp_train"])) == 8
    assert floor.flops(floor.gemms_of(ws["mlp_infer_b1"])) == 2 * (784 * 512 + 512 * 512 + 5120)
    for name in ("cnn_train", "resnet_train", "lstm_train", "gru_train", "lstm_generate"):
        assert floor.gemms_of(ws[name])
    assert floor.linear(4, 3, 2) == [(4, 3, 2, 1), (2, 4, 3, 1), (4, 2, 3, 1)]
    assert floor.conv2d(2, 3, 5, 5, 4, k=3, pad=0, dx=False) == [(18, 27, 4, 1), (4, 18, 27, 1)]
    floor.gemm_step([(3, 4, 5, 2)])()


def test_busy_processes_are_killed_even_on_error():
    with pytest.raises(KeyError), load.busy(2, max_seconds=30, settle=0.0) as procs:
        assert all(p.poll() is None for p in procs)
        raise KeyError("boom")
    assert all(p.poll() is not None for p in procs) and not load._live
    with pytest.raises(ValueError, match="'python' or 'numpy'"):
        load.start("rust")
    assert "load average" in load.load_line()


def test_a_child_process_measures_a_tiny_workload():
    r = runner.run_child("op_record", "nerve", 1, runner.child_env(True), min_time=0.002)
    assert r["name"] == "op_record" and r["s"] > 0 and len(r["rounds"]) == 1
    assert "blas_policy" in r
    with pytest.raises(SystemExit, match="framework must be one of"):
        child.main(["jax", "op_record", "1"])


def test_nerve_bench_passes_its_options_and_says_when_torch_is_missing(monkeypatch, capsys):
    from nerve.cli import main as nerve_main

    seen = {}

    def compare(name, pairs, rounds, env, with_torch, loaded, min_time):
        seen.update(name=name, pairs=pairs, rounds=rounds, with_torch=with_torch, loaded=loaded)
        return fake_compare({"nerve": 1.0, "torch": 1.0})(
            name, pairs, rounds, env, with_torch, loaded, min_time
        )

    monkeypatch.setattr(runner, "torch_available", lambda: False)
    monkeypatch.setattr(runner, "compare", compare)
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    monkeypatch.delenv("OPENBLAS_L2_SIZE", raising=False)
    assert nerve_main(["bench", "mlp_train", "--pairs", "4", "--repeats", "2", "--loaded"]) == 0
    assert seen == {"name": "mlp_train", "pairs": 4, "rounds": 2, "with_torch": False, "loaded": 2}
    assert "torch is not installed" in capsys.readouterr().out
