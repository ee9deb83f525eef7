"""The public API stays as it is: every public name of nerve's faces and of its main
classes, against the snapshot in surface.json (regenerate it with
``python tests/api/surface.py`` only when a name is added on purpose)."""

import json

import pytest
from surface import CLASSES, MODULES, SNAPSHOT, surface


@pytest.fixture(scope="module")
def now():
    return surface()


@pytest.fixture(scope="module")
def then():
    with open(SNAPSHOT, encoding="utf-8") as f:
        return json.load(f)


@pytest.mark.parametrize("where", MODULES + CLASSES)
def test_no_public_name_lost_or_added(where, now, then):
    lost = sorted(set(then[where]) - set(now[where]))
    added = sorted(set(now[where]) - set(then[where]))
    assert not lost, f"{where} lost public names: {lost}"
    assert not added, (
        f"{where} gained public names {added}: if on purpose, rerun python tests/api/surface.py"
    )
