"""Meta-test: every Function in nerve/ops/<topic>/<family>.py has a row in the CASES table
of tests/ops/<topic>/test_<family>*.py (the row name's prefix before "/" is the class
name)."""

import functools
import importlib
import importlib.util
import pkgutil
import types
from pathlib import Path

import pytest
from opcheck import Case, all_functions

import nerve.ops
from nerve.autograd.function import Function

HERE = Path(__file__).parent
# "topic.family": the op modules of each topic subpackage (nerve/ops/math/elementwise.py ...)
FAMILIES = sorted(
    f"{topic.name}.{m.name}"
    for topic in pkgutil.iter_modules(nerve.ops.__path__)
    if topic.ispkg
    for m in pkgutil.iter_modules([str(Path(nerve.ops.__path__[0]) / topic.name)])
)


@functools.cache
def _load(path: Path) -> types.ModuleType:
    # Loaded under a private name so that pytest's own copy of the module is untouched.
    spec = importlib.util.spec_from_file_location(f"_coverage_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _covers(stem: str, family: str) -> bool:
    """test_<family>*.py, and test_recurrent.py for a family split as recurrent_gru.py."""
    name = stem.removeprefix("test_")
    return name.startswith(family) or family.startswith(name + "_")


def table_rows(family: str) -> set:
    """Class names covered by the CASES of the family's test modules ("topic.family")."""
    topic, _, family = family.rpartition(".")
    rows = set()
    for path in sorted((HERE / topic).glob("test_*.py")):
        if _covers(path.stem, family):
            for case in getattr(_load(path), "CASES", []):
                rows.add(case.name.split("/")[0])
    return rows


def missing_rows(module, rows: set) -> set:
    """Concrete Functions without a row; private bases that leave forward abstract are
    exempt (their subclasses have rows)."""
    concrete = {
        name
        for name in all_functions(module)
        if not name.startswith("_") and getattr(module, name).forward is not Function.forward
    }
    return concrete - rows


@pytest.mark.parametrize("family", FAMILIES)
def test_every_function_has_a_row(family):
    module = importlib.import_module(f"nerve.ops.{family}")
    missing = missing_rows(module, table_rows(family))
    assert not missing, (
        f"nerve/ops/{family.replace('.', '/')}.py: no row in the CASES of tests/ops/"
        f"{family.replace('.', '/test_')}*.py for "
        f"{sorted(missing)}"
    )


def test_the_families_are_found():
    assert {
        "math.elementwise",
        "reduce.reductions",
        "shape.rearrange",
        "shape.indexing",
        "linalg.matmul",
        "nn.activation",
    } <= set(FAMILIES)
    assert {"Add", "MatMul", "Softmax"} <= table_rows("math.elementwise") | table_rows(
        "linalg.matmul"
    ) | table_rows("nn.activation")


def test_a_function_without_a_row_is_reported():
    module = types.ModuleType("fake_ops")

    class Covered(Function):
        def forward(self, x):
            return x

    class Forgotten(Function):
        def forward(self, x):
            return x

    class _Base(Function):
        pass

    for cls in (Covered, Forgotten, _Base):
        cls.__module__ = module.__name__
        setattr(module, cls.__name__, cls)
    rows = {Case("Covered/x", None, None, []).name.split("/")[0]}
    assert missing_rows(module, rows) == {"Forgotten"}
    assert _covers("test_activation_smooth", "activation")
    assert _covers("test_recurrent", "recurrent_gru")
    assert not _covers("test_linalg", "linear")
