"""The seam holds: no op file imports NumPy for array work; ops take their namespace from
their inputs (nerve.backend.array_module). The list below is what is not converted yet;
it may only shrink."""

import ast
import pathlib

OPS = pathlib.Path(__file__).resolve().parents[2] / "nerve" / "ops"

NOT_YET: set[str] = set()


def _imports_numpy(path: pathlib.Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == "numpy" for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "numpy":
            return True
    return False


def test_no_op_file_imports_numpy():
    found = {p.name for p in sorted(OPS.rglob("*.py")) if _imports_numpy(p)}
    assert found - NOT_YET == set(), f"op files importing numpy: {sorted(found - NOT_YET)}"
    assert NOT_YET - found == set(), f"converted, take off NOT_YET: {sorted(NOT_YET - found)}"


def test_the_check_sees_an_import(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("def f():\n    import numpy as np\n    return np.zeros(1)\n")
    assert _imports_numpy(f)
    f.write_text("from nerve.backend import array_module\n")
    assert not _imports_numpy(f)
