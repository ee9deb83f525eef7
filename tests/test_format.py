"""The code stays as ruff formats and lints it (the settings are pyproject.toml's), so a
diff shows what changed and not how someone's editor wraps lines. ruff comes with the
test extra; `ruff format nerve tests benchmarks tools` fixes the first test's failures."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TREES = ["nerve", "tests", "benchmarks", "tools"]


def ruff(*args):
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *TREES],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_the_code_is_as_ruff_formats_it():
    out = ruff("format", "--check")
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_lint_finds_nothing():
    out = ruff("check", "--output-format", "concise")
    assert out.returncode == 0, out.stdout + out.stderr
