"""The architecture checks of nerve/, read from the source (ast, nothing is imported).

    python tools/architecture.py            # every violation, grouped by check
    python tools/architecture.py --counts   # one line per check: how many
    python tools/architecture.py --known    # rewrite tests/architecture_known.py

The checks (tests/test_architecture.py runs them):

- ``long_files``: a file of nerve/ over ``MAX_LINES`` lines;
- ``face_imports``: a module inside the package importing the ``nerve`` face (``import
  nerve``, or ``from nerve import x`` where ``x`` is not a submodule);
- ``more_names``: a file named ``*_more`` (in nerve/ or tests/);
- ``cycles``: a cycle of module-level imports through more than one file (the graph and
  its strongly connected components are tools/import_graph.py's);
- ``upward``: an import (module-level or inside a function) from a lower tier to a higher
  one; the tiers and the arrows allowed between them are the table ``ALLOWED`` in
  tests/test_architecture.py, passed in as ``allowed``;
- ``private_imports``: ``from m import _name`` (or ``alias._name`` on a module imported
  under ``alias``) where ``m`` belongs to another package than the importer (``nerve.nn``
  and ``nerve.nn.utils`` are one package, ``nerve.nn`` and ``nerve.autograd`` two).

An import names the most specific module: ``from nerve.autograd import engine`` and
``from nerve.autograd.engine import toposort`` both import ``nerve.autograd.engine``; the
packages above it (whose ``__init__`` Python runs first) are not counted, or every
package would import itself. Imports under ``if TYPE_CHECKING:`` are not counted (they
never run).
"""

from __future__ import annotations

import ast
import os
import sys
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import import_graph  # noqa: E402  (tools/import_graph.py: the module-level graph, SCCs)

MAX_LINES = 500
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KNOWN_FILE = os.path.join(ROOT, "tests", "architecture_known.py")


@dataclass(frozen=True)
class Import:
    """One imported name: ``importer`` imports ``target`` (a module) at line ``line``;
    ``name`` is the attribute taken from it (None for ``import target``); ``local`` when
    the import sits inside a function (it runs on first call, not at import time)."""

    importer: str
    target: str
    name: str | None
    line: int
    local: bool


def module_files(root: str, package: str = "nerve") -> dict[str, str]:
    """Dotted module name -> file path, for every .py file under ``root/package``."""
    out = {}
    base = os.path.join(root, package)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for f in sorted(filenames):
            if not f.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), root)[:-3].split(os.sep)
            if rel[-1] == "__init__":
                rel = rel[:-1]
            out[".".join(rel)] = os.path.join(dirpath, f)
    return out


def _is_package(modules: dict, name: str) -> bool:
    return modules.get(name, "").endswith("__init__.py")


def _resolve(modules: dict, importer: str, level: int, module: str | None) -> str:
    if not level:
        return module or ""
    parts = importer.split(".")
    if not _is_package(modules, importer):
        parts = parts[:-1]
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([module] if module else []))


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(tree: ast.AST):
    """(node, local) for every import statement, skipping ``if TYPE_CHECKING:`` bodies."""
    todo = [(tree, False)]
    while todo:
        node, local = todo.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child.test):
                for c in child.orelse:
                    todo.append((c, local))
                continue
            inner = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, inner
            todo.append((child, inner))


def _parse(path: str) -> ast.AST:
    with open(path, encoding="utf-8") as f:
        return ast.parse(f.read(), path)


def imports(root: str = ROOT, package: str = "nerve") -> list[Import]:
    """Every import inside ``package`` of a module of ``package``."""
    modules = module_files(root, package)
    out = []
    for name, path in modules.items():
        for node, local in _walk(_parse(path)):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name == package or a.name.startswith(package + "."):
                        out.append(Import(name, a.name, None, node.lineno, local))
                continue
            base = _resolve(modules, name, node.level, node.module)
            if not (base == package or base.startswith(package + ".")):
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in modules:
                    out.append(Import(name, sub, None, node.lineno, local))
                else:
                    out.append(Import(name, base, a.name, node.lineno, local))
    return out


# -- the checks ---------------------------------------------------------------------------


def long_files(root: str = ROOT) -> set[str]:
    """Files of nerve/ over MAX_LINES lines (their paths)."""
    out = set()
    for path in module_files(root).values():
        with open(path, encoding="utf-8") as f:
            if sum(1 for _ in f) > MAX_LINES:
                out.add(os.path.relpath(path, root).replace(os.sep, "/"))
    return out


def face_imports(root: str = ROOT) -> set[str]:
    """'importer -> nerve.x' for each import of the face from inside the package."""
    out = set()
    for imp in imports(root):
        if imp.target == "nerve" and imp.importer != "nerve":
            out.add(f"{imp.importer} -> nerve" + (f".{imp.name}" if imp.name else ""))
    return out


def more_names(root: str = ROOT) -> set[str]:
    """Files under nerve/ and tests/ whose name ends in ``_more`` (tests: ``*_more*``)."""
    out = set()
    for top in ("nerve", "tests"):
        for dirpath, _, filenames in os.walk(os.path.join(root, top)):
            for f in filenames:
                stem = f[:-3] if f.endswith(".py") else None
                if stem and (stem.endswith("_more") or "_more_" in stem):
                    out.add(os.path.relpath(os.path.join(dirpath, f), root).replace(os.sep, "/"))
    return out


def import_cycles(root: str = ROOT) -> set[frozenset]:
    """The module-level import cycles (tools/import_graph.py's graph and SCCs)."""
    return {frozenset(c) for c in import_graph.cycles(import_graph.build_graph(root))}


def tier_of(module: str, tiers: dict[str, str]) -> str | None:
    """The tier of ``module``: the entry of ``tiers`` naming its longest prefix."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        t = tiers.get(".".join(parts[:n]))
        if t is not None:
            return t
    return None


def upward(tiers: dict[str, str], allowed: dict[str, set[str]], root: str = ROOT) -> set[str]:
    """'importer -> target' for each import between two tiers that ``allowed`` (tier ->
    the tiers it may import) does not list; an import within one tier is always allowed."""
    out = set()
    for imp in imports(root):
        a, b = tier_of(imp.importer, tiers), tier_of(imp.target, tiers)
        if a is None or b is None or a == b:
            continue
        if b not in allowed.get(a, ()):
            out.add(f"{imp.importer} -> {imp.target}")
    return out


def _package(module: str, modules: dict) -> str:
    """The package a private name may be shared inside: nerve.X (nerve.X.Y's too)."""
    parts = module.split(".")
    return (
        ".".join(parts[:2])
        if len(parts) > 1 and (len(parts) > 2 or _is_package(modules, module))
        else module
    )


def private_uses(root: str = ROOT) -> list[tuple[str, str, str]]:
    """(importer, target module, private name) for each private name of a module that a
    module of nerve/ takes: ``from m import _x``, or ``alias._x`` on ``import m as alias``
    / ``from p import m as alias``. Within one file it is not counted."""
    modules = module_files(root)
    out = []
    for name, path in modules.items():
        tree = _parse(path)
        aliases: dict[str, str] = {}
        for node, _ in _walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("nerve") and a.asname:
                        aliases[a.asname] = a.name
                continue
            base = _resolve(modules, name, node.level, node.module)
            if not base.startswith("nerve"):
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in modules:
                    aliases[a.asname or a.name] = sub
                    if a.name.startswith("_"):
                        out.append((name, base, a.name))
                elif a.name.startswith("_") and not a.name.startswith("__"):
                    out.append((name, base, a.name))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                target = aliases[node.value.id]
                if target != name:
                    out.append((name, target, node.attr))
    return out


def private_imports(root: str = ROOT) -> set[str]:
    """'importer -> module._name' for each private name taken across packages."""
    modules = module_files(root)
    return {
        f"{i} -> {t}.{n}"
        for i, t, n in private_uses(root)
        if _package(i, modules) != _package(t, modules)
    }


def violations(
    tiers: dict[str, str], allowed: dict[str, set[str]], root: str = ROOT
) -> dict[str, set]:
    """Every check's violations, by check name."""
    return {
        "long_files": long_files(root),
        "face_imports": face_imports(root),
        "more_names": more_names(root),
        "cycles": import_cycles(root),
        "upward": upward(tiers, allowed, root),
        "private_imports": private_imports(root),
    }


def _table():
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from test_architecture import ALLOWED, TIERS

    return TIERS, ALLOWED


def _quoted(name: str) -> str:
    """A module or path name as ruff format writes it (double quotes)."""
    return '"' + name + '"'


def _write_known(found: dict) -> None:
    lines = [
        '"""Known violations of the architecture checks (tests/test_architecture.py) while',
        "the restructuring of issue 12 is under way. Generated by",
        "`python tools/architecture.py --known`; every entry must still violate, so the",
        'sets only shrink."""',
        "",
    ]
    for check, items in found.items():
        if not items:
            lines += [f"{check.upper()}: set = set()", ""]
            continue
        lines.append(f"{check.upper()} = {{")
        for item in sorted(sorted(i) if isinstance(i, frozenset) else i for i in items):
            if isinstance(item, list):
                lines.append("    frozenset({")
                lines += [f"        {_quoted(m)}," for m in item]
                lines.append("    }),")
            else:
                lines.append(f"    {_quoted(item)},")
        lines += ["}", ""]
    with open(KNOWN_FILE, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def main(argv: list[str]) -> int:
    tiers, allowed = _table()
    found = violations(tiers, allowed)
    if "--known" in argv:
        _write_known(found)
        print(
            f"wrote {os.path.relpath(KNOWN_FILE, ROOT)}: "
            + ", ".join(f"{k} {len(v)}" for k, v in found.items())
        )
        return 0
    if "--counts" in argv:
        for k, v in found.items():
            print(f"{k}: {len(v)}")
        print(f"private_uses (all, within packages too): {len(private_uses())}")
        return 0
    for k, v in found.items():
        print(f"== {k} ({len(v)})")
        for item in sorted(", ".join(sorted(i)) if isinstance(i, frozenset) else i for i in v):
            print("  " + item)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
