"""benchmarks/demo_load.py's logic with a stand-in demo: the quiet/loaded order, the busy
processes around the loaded run only, and the slowdown's median. No timing is asserted."""

import pytest

from benchmarks import demo_load, load


def test_pairs_alternate_quiet_and_loaded_and_report_the_median(monkeypatch, capsys):
    calls, times = [], iter([10.0, 15.0, 10.0, 30.0, 10.0, 20.0])

    def fake_demo(quick, env):
        calls.append((quick, len(load._live)))
        return next(times)

    monkeypatch.setattr(demo_load, "run_demo", fake_demo)
    demo_load.main(["--quick", "--pairs", "3", "--busy", "1"])
    assert calls == [(True, 0), (True, 1)] * 3  # one busy process during each loaded run
    assert not load._live  # and none left over
    out = capsys.readouterr().out
    assert "slowdown median x2.00 (pairs 1.50-3.00)" in out


def test_a_failing_demo_is_reported_not_timed(monkeypatch):
    class Failed:
        returncode, stderr = 2, "Traceback\nValueError: boom\n"

    monkeypatch.setattr(demo_load.subprocess, "run", lambda *a, **k: Failed())
    with pytest.raises(RuntimeError, match="exit 2.*boom"):
        demo_load.run_demo(True, {})
