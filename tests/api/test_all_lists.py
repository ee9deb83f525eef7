"""Every op family declares ``__all__`` and the faces are built from those lists.

- each family (nerve/ops/<topic>/<family>.py, nerve/functional/<module>.py) has an
  ``__all__`` of names it binds, public, each reaching at least one public face (a name no
  face takes is a helper and stays out of the list);
- nerve.nn.functional exports exactly the union of the families it is built from
  (nerve/functional/__init__.py's ``_FAMILIES``) and its own two definitions, every family
  of the layers' ops whole; ``nerve`` binds every name its ``_OPS`` table selects, and
  every op name of ``nerve`` comes from that table or from top_level_functional's list;
- ``Take`` refuses a name its family does not list and ``export`` refuses to bind two
  objects under one name.
"""

import __future__

import importlib
import inspect
import pkgutil
import types
from pathlib import Path

import pytest

import nerve
import nerve.functional
import nerve.linalg
import nerve.nn.functional
import nerve.ops
import nerve.special
import nerve.top_level_functional
from nerve.ops import Take, export

FACES = {
    "nerve": nerve,
    "nerve.nn.functional": nerve.nn.functional,
    "nerve.linalg": nerve.linalg,
    "nerve.special": nerve.special,
}


def _family_names() -> list[str]:
    ops = Path(nerve.ops.__path__[0])
    out = [
        f"nerve.ops.{topic.name}.{m.name}"
        for topic in pkgutil.iter_modules([str(ops)])
        if topic.ispkg
        for m in pkgutil.iter_modules([str(ops / topic.name)])
    ]
    out += [f"nerve.functional.{m.name}" for m in pkgutil.iter_modules(nerve.functional.__path__)]
    return sorted(out)


FAMILIES = _family_names()


def _public(module) -> set:
    """Public names bound in ``module``, less submodules and __future__ features."""
    return {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and not inspect.ismodule(v)
        and not isinstance(v, __future__._Feature)
    }


def _taken(takes) -> set:
    return {n for take in takes for n in take.names()}


def test_the_families_are_found():
    assert {
        "nerve.ops.math.elementwise",
        "nerve.ops.nn.conv",
        "nerve.functional.compare",
        "nerve.functional.shuffle",
    } <= set(FAMILIES)


@pytest.mark.parametrize("name", FAMILIES)
def test_every_family_declares_all_of_its_names(name):
    family = importlib.import_module(name)
    assert isinstance(getattr(family, "__all__", None), list), f"{name} has no __all__ list"
    listed = family.__all__
    assert len(set(listed)) == len(listed), f"{name}.__all__ lists a name twice"
    missing = [n for n in listed if n not in vars(family)]
    assert not missing, f"{name}.__all__ lists names it does not bind: {missing}"
    private = [n for n in listed if n.startswith("_") or inspect.ismodule(vars(family)[n])]
    assert not private, f"{name}.__all__ lists private names or modules: {private}"
    offered = {id(getattr(f, n)) for f in FACES.values() for n in _public(f)}
    unused = [n for n in listed if id(vars(family)[n]) not in offered]
    assert not unused, f"{name}.__all__ lists names no public face takes: {unused}"


def test_nn_functional_is_the_union_of_its_families():
    F = nerve.functional
    takes = F._FAMILIES
    assert set(F.__all__) == _taken(takes) | set(F._OWN)
    assert len(F.__all__) == len(set(F.__all__))
    for take in takes:
        for n in take.names():
            assert getattr(F, n) is getattr(take.family, n), n
    assert not set(F._OWN) & _taken(takes), "a name both defined here and taken"
    # nothing public beside the list, and nerve.nn.functional is the same list
    assert _public(F) == set(F.__all__)
    assert nerve.nn.functional.__all__ == F.__all__
    assert _public(nerve.nn.functional) == set(F.__all__)
    assert all(getattr(nerve.nn.functional, n) is getattr(F, n) for n in F.__all__)


def test_every_family_of_the_layers_ops_is_taken_whole():
    whole = {t.family.__name__ for t in nerve.functional._FAMILIES if t.only is None and not t.but}
    nn_families = {n for n in FAMILIES if n.startswith("nerve.ops.nn.")}
    offering = {n for n in nn_families if getattr(importlib.import_module(n), "__all__", ())}
    assert offering <= whole, f"not in nerve.nn.functional: {sorted(offering - whole)}"


def test_nerve_binds_what_its_table_selects_and_nothing_else():
    takes = nerve._OPS
    for take in takes:
        for n in take.names():
            assert getattr(nerve, n) is getattr(take.family, n), n
    # every public name of nerve that a family lists under that name comes from the
    # table or from top_level_functional's list (no stray hand-written import)
    listed = {}
    for name in FAMILIES:
        family = importlib.import_module(name)
        for n in getattr(family, "__all__", ()):
            listed.setdefault(n, set()).add(id(getattr(family, n)))
    from_families = {n for n in _public(nerve) if id(getattr(nerve, n)) in listed.get(n, ())}
    sources = _taken(takes) | set(nerve.top_level_functional.__all__)
    assert from_families <= sources, f"not from nerve._OPS: {sorted(from_families - sources)}"


def _fake(name: str, **names) -> types.ModuleType:
    module = types.ModuleType(name)
    vars(module).update(names, __all__=list(names))
    return module


def test_take_refuses_a_name_its_family_does_not_list():
    a = _fake("a", relu=object(), tanh=object())
    assert Take(a).names() == ["relu", "tanh"]
    assert Take(a, only=("tanh",)).names() == ["tanh"]
    assert Take(a, but=("tanh",)).names() == ["relu"]
    with pytest.raises(ValueError, match=r"a.__all__ does not list \['gelu'\]"):
        Take(a, only=("gelu",)).names()
    with pytest.raises(ValueError, match="does not list"):
        Take(a, but=("gelu",)).names()


def test_export_refuses_two_objects_under_one_name():
    a, b = _fake("a", relu=object()), _fake("b", relu=object())
    namespace = {}
    assert export(namespace, [Take(a), Take(a)]) == ["relu"]
    assert namespace["relu"] is a.relu
    with pytest.raises(RuntimeError, match="offered by two families"):
        export({}, [Take(a), Take(b)])
    with pytest.raises(RuntimeError, match="replace the face's own"):
        export({"relu": object()}, [Take(a)])
