"""BLAS threads from the load: the rule, the switches, and the watcher (with a stand-in
for the load, so nothing here depends on how busy the machine is)."""

import os
import time

import pytest

import nerve
from nerve.backend import blas, parallel, threads

needs_openblas = pytest.mark.skipif(
    not blas.available() or blas.max_threads() < 2,
    reason="needs numpy's OpenBLAS with 2 or more threads",
)


@pytest.fixture
def saved(monkeypatch):
    """Put threads, BLAS and the watcher back as they were."""
    before = (nerve.get_num_threads(), blas.get(), threads._watch["mode"])
    monkeypatch.setitem(parallel._state, "threads", before[0])
    yield
    threads._stop_watcher()
    threads._watch["mode"] = before[2]
    blas.put(before[1])
    threads.start_watcher()


@pytest.mark.parametrize(
    "others, cores, started, want",
    [
        (0.0, 2, 2, 2),
        (0.4, 2, 2, 2),
        (0.5, 2, 2, 1),
        (1.0, 2, 2, 1),
        (2.0, 2, 2, 1),
        (5.0, 2, 2, 1),
        (1.0, 8, 4, 4),
        (5.2, 8, 8, 3),
        (0.0, 1, 1, 1),
    ],
)
def test_rule_gives_the_cores_the_others_leave(others, cores, started, want):
    assert threads.threads_for(others, cores, started) == want


@needs_openblas
def test_set_num_threads_sets_blas_too_and_stops_following_the_load(saved):
    nerve.set_num_threads(1)
    assert nerve.get_num_threads() == 1 and blas.get() == 1
    assert threads._watch["thread"] is None and "fixed at 1" in threads.blas_policy()
    nerve.set_num_threads(2)
    assert blas.get() == 2


@pytest.mark.parametrize("value, want", [("auto", "auto"), ("1", 1), (" 3 ", 3), ("AUTO", "auto")])
def test_env_variable_picks_the_mode(monkeypatch, saved, value, want):
    monkeypatch.setenv("NERVE_BLAS_THREADS", value)
    threads._watch["mode"] = None
    assert threads.blas_mode() == want


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_bad_env_variable_warns_and_follows_the_load(monkeypatch, saved, value):
    monkeypatch.setenv("NERVE_BLAS_THREADS", value)
    threads._watch["mode"] = None
    with pytest.warns(UserWarning, match="NERVE_BLAS_THREADS must be 'auto' or a positive"):
        assert threads.blas_mode() == "auto"


def test_others_running_counts_no_thread_of_this_process():
    if not os.path.exists("/proc/loadavg"):
        pytest.skip("no /proc")
    r = threads.others_running()
    assert isinstance(r, int) and r >= 0
    assert threads._own_running() >= 1  # the thread asking is running


def _wait_for(cond, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end and not cond():
        time.sleep(0.01)
    return cond()


@needs_openblas
def test_watcher_drops_to_one_thread_when_loaded_and_comes_back(monkeypatch, saved):
    load = {"r": 2}
    monkeypatch.setattr(threads, "others_running", lambda: load["r"])
    monkeypatch.setattr(threads, "PERIOD", 0.01)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    threads._stop_watcher()
    threads._watch.update(mode="auto", avg=0.0)
    assert threads.start_watcher() and threads.start_watcher()  # idempotent
    assert _wait_for(lambda: blas.get() == 1)
    load["r"] = 0
    assert _wait_for(lambda: blas.get() == 2)
    assert "following the load" in threads.blas_policy()


def test_no_watcher_for_a_fixed_count(monkeypatch, saved):
    threads._stop_watcher()
    threads._watch["mode"] = 1
    assert not threads.start_watcher() and threads._watch["thread"] is None
