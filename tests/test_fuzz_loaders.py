"""The CI-sized run of tools/fuzz_loaders.py: a few hundred mutants per loader, and the
only outcomes allowed are a clean error or an identical load (or, for formats with no
checksum, other well-formed data); never a crash, a hang or a memory blow-up."""

import os
import sys

import numpy as np
import pytest

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")
sys.path.insert(0, TOOLS)
import fuzz_loaders  # noqa: E402


@pytest.fixture(scope="module")
def report():
    return fuzz_loaders.run(
        count=300, seed=12345, jobs=2, chunk=150, names=["nrv", "idx", "cifar", "toml", "onnx"]
    )


def test_every_loader_was_fuzzed(report):
    assert {"nrv", "idx", "cifar", "toml", "onnx"} <= set(report)
    for entry in report.values():
        outcomes = {k: v for k, v in entry["counts"].items() if ":" not in k}
        assert sum(outcomes.values()) == 300


@pytest.mark.parametrize("name", ["nrv", "idx", "cifar", "toml", "onnx"])
def test_no_crash_hang_or_memory_blowup(report, name):
    entry = report[name]
    assert entry["failures"] == 0, entry["bad"][:5]
    assert entry["slowest_s"] < fuzz_loaders.ALARM_S
    assert entry["peak_rss_mb"] < 1024


def test_a_corrupted_checkpoint_never_loads_as_other_data(report):
    counts = report["nrv"]["counts"]
    assert counts.get("different", 0) == 0
    assert counts["error"] > 250  # nearly every mutant is detected, the rest load unchanged


def test_mutations_are_reproducible_and_change_the_file():
    data = bytes(range(256)) * 4
    a = [fuzz_loaders.mutate(data, np.random.default_rng([1, i])) for i in range(50)]
    b = [fuzz_loaders.mutate(data, np.random.default_rng([1, i])) for i in range(50)]
    assert a == b
    assert sum(m != data for _, m in a) >= 45
    assert {k for k, _ in a} == set(fuzz_loaders.MUTATIONS)
