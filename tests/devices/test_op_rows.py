"""Every op-table row (tests/opcheck.py's Case, from every test module that has a table)
runs on "cuda" and gives the CPU's outputs and gradients.

Rows whose ops are not converted to the device seam yet are listed in
not_on_device.py and expected to fail (strict xfail): converting an op makes its rows
pass, which fails here until they are taken off the list. Nothing is skipped.
"""

import pytest
from devicecheck import check_on_device, collect, table_files
from not_on_device import NOT_YET, run_check

ROWS = collect()
print(f"device rows: {len(ROWS)}, not on the device yet: {len(NOT_YET)}")


def _params():
    for key, case in ROWS.items():
        marks = (
            [pytest.mark.xfail(strict=True, reason="op not converted to the device seam")]
            if key in NOT_YET
            else []
        )
        yield pytest.param(case, id=key, marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_row_on_device(case):
    run_check(f"{case.where}::{case}" in NOT_YET, check_on_device, case)


def test_every_row_has_a_device_run():
    """The runner sees every table module and every row of them; the list of rows not
    yet on the device names only rows that exist."""
    assert len(table_files()) >= 50
    wheres = {key.partition("::")[0] for key in ROWS}
    for path in table_files():
        rel = "tests/" + path.split("/tests/", 1)[1]
        if rel == "tests/ops/test_coverage.py":
            continue  # makes a Case inside a test, to test the coverage checker itself
        assert rel in wheres, f"{rel} defines op rows the device runner did not collect"
    stale = sorted(NOT_YET - set(ROWS))
    assert not stale, f"not_on_device.py names rows that no table has: {stale[:5]}"


def test_known_failing_count_is_reported(capsys):
    print(f"{len(NOT_YET)} of {len(ROWS)} op rows do not run on the device yet")
    assert 0 <= len(NOT_YET) <= len(ROWS)
