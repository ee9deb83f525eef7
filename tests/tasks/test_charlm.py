"""The charlm task: sizes that cannot train are one clear line before any data or folder."""

import pytest

from nerve.cli import main
from nerve.tasks import get_task


@pytest.mark.parametrize(
    "key,value", [("embed", 0), ("seq_len", 0), ("layers", 0), ("embed", 2.5), ("layers", True)]
)
def test_sizes_that_cannot_train_are_refused(key, value):
    with pytest.raises(
        ValueError, match=f"charlm: {key} must be a whole number of at least 1, got {value!r}"
    ):
        get_task("charlm", {key: value})


def test_the_command_says_it_in_one_line_and_writes_no_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "charlm", "--set", "embed=0", "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "nerve: error: ValueError: charlm: embed must be a whole number of at least 1, got 0"
    )
    assert not out.exists()
