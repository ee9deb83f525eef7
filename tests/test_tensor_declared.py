"""Tensor's methods are declared in nerve/tensor/ and reach the ops through the table.

- nothing is attached to Tensor (or its mixins) from outside: every attribute of each
  class in Tensor's MRO is written in that class's body;
- every ``ops.<name>`` a method calls is registered in the table once nerve is imported;
- the tensor tier imports neither the ops nor autograd (they sit above it).
"""

import ast
import inspect
import re
from pathlib import Path

import pytest

import nerve
from nerve.tensor import ops_table

TENSOR_DIR = Path(nerve.__file__).parent / "tensor"
_SLOT_AND_PYTHON = {
    "__module__",
    "__qualname__",
    "__doc__",
    "__dict__",
    "__weakref__",
    "__slots__",
    "__firstlineno__",
    "__static_attributes__",
}


def _body_names(cls) -> set:
    """The names a class's own body defines (functions, assignments, slots)."""
    home = next(v for v in vars(cls).values() if inspect.isfunction(v))  # its file
    tree = ast.parse(inspect.getsource(inspect.getmodule(home)))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            names = set()
            for b in node.body:
                if isinstance(b, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(b.name)
                elif isinstance(b, ast.Assign):
                    names |= {t.id for t in b.targets if isinstance(t, ast.Name)}
                elif isinstance(b, ast.AnnAssign) and isinstance(b.target, ast.Name):
                    names.add(b.target.id)
            return names
    raise AssertionError(f"class {cls.__name__} not found in its module")


@pytest.mark.parametrize(
    "cls", [c for c in nerve.Tensor.__mro__ if c is not object], ids=lambda c: c.__name__
)
def test_every_attribute_is_written_in_the_class_body(cls):
    assert cls.__module__.startswith("nerve.tensor"), cls
    declared = _body_names(cls) | set(getattr(cls, "__slots__", ()))
    attached = set(vars(cls)) - declared - _SLOT_AND_PYTHON
    assert not attached, f"{cls.__name__} has attributes set from outside: {sorted(attached)}"


def test_every_op_a_method_calls_is_registered():
    called = set()
    for path in TENSOR_DIR.glob("*.py"):
        if path.name == "ops_table.py":  # the table itself (its docstring says ops.name)
            continue
        called |= set(re.findall(r"(?<![\w.])ops\.(\w+)", path.read_text()))
    assert len(called) > 250
    assert ops_table.missing(called) == []


def test_a_name_registered_twice_for_two_objects_is_refused():
    with pytest.raises(RuntimeError, match="already"):
        ops_table.register(sum=lambda: None)


@pytest.mark.parametrize("path", sorted(TENSOR_DIR.glob("*.py")), ids=lambda p: p.name)
def test_the_tensor_tier_imports_no_op_and_no_engine(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for n in names:
            assert not n.startswith(("nerve.ops", "nerve.autograd", "nerve.nn")), (
                f"{path.name} imports {n}"
            )
            assert n != "nerve", f"{path.name} imports the nerve face"
            if n.startswith("nerve.") and n.count(".") == 1:  # from nerve import x
                assert n in ("nerve.dtypes", "nerve.printing", "nerve.random"), (
                    f"{path.name} imports {n} from the nerve face"
                )


def test_methods_call_the_ops_they_name():
    x = nerve.arange(6.0).reshape(2, 3)
    assert x.sum().item() == 15.0
    assert x.view(6).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert x.clip(1, 4).tolist() == [[1.0, 1.0, 2.0], [3.0, 4.0, 4.0]]
    y = x.clone()
    y.exp_()
    assert y.allclose(x.exp())
    y[0, 0] = 7.0
    assert y[0, 0].item() == 7.0
