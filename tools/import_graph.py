"""The import graph of nerve/'s modules, read from the source (ast; nothing is imported).

    python tools/import_graph.py            # the cycles (SCCs of more than one module),
                                            # function-local imports and `noqa: E402`
    python tools/import_graph.py --verbose  # also each cycle's modules

An edge ``a -> b`` is a module-level ``import b`` / ``from b import x`` in module ``a``
(inside ``if``/``try`` blocks too, not inside a function or class body, and not under
``if TYPE_CHECKING:``), where ``b`` is a nerve module; ``from nerve.x import name`` is an
edge to ``nerve.x.name`` when ``name`` is a submodule, else to ``nerve.x``. The packages
above ``b``, whose ``__init__`` Python runs first, are not edges (or every package
would be a cycle with its own files). The largest strongly connected component is the
biggest set of files that import each other, directly or not.

``build_graph(root)`` gives ``{module: set of modules it imports}``, ``cycles(graph)``
the SCCs of more than one module (largest first), ``local_imports(root)`` the imports
inside functions and ``noqa_e402(root)`` the ``# noqa: E402`` lines, each a list of
``(module, line)``.
"""

from __future__ import annotations

import ast
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _modules(root: str) -> dict[str, str]:
    """``{dotted name: path}`` of every .py file under ``root``/nerve."""
    out = {}
    base = os.path.join(root, "nerve")
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        for f in sorted(files):
            if not f.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(folder, f), root)[:-3].split(os.sep)
            if rel[-1] == "__init__":
                rel = rel[:-1]
            out[".".join(rel)] = os.path.join(folder, f)
    return out


def _parse(path: str) -> ast.Module:
    with open(path, encoding="utf-8") as fh:
        return ast.parse(fh.read(), path)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level(body: list) -> list:
    """The import statements run when the module loads (nested if/try/with blocks too)."""
    found = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                found += _module_level(node.body)
            found += _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                found += _module_level(block)
            for h in node.handlers:
                found += _module_level(h.body)
        elif isinstance(node, ast.With):
            found += _module_level(node.body)
    return found


def _resolve(node, importer: str, is_package: bool) -> str | None:
    """The absolute module ``node`` (an ImportFrom) imports from."""
    if not node.level:
        return node.module
    parts = importer.split(".")
    if not is_package:
        parts = parts[:-1]
    if node.level > 1:
        parts = parts[: len(parts) - node.level + 1]
    return ".".join(parts + ([node.module] if node.module else []))


def _targets(node, importer: str, is_package: bool, modules) -> set[str]:
    out = set()
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.name in modules:
                out.add(a.name)
        return out
    base = _resolve(node, importer, is_package)
    if base is None:
        return out
    for a in node.names:
        sub = f"{base}.{a.name}"
        if sub in modules:
            out.add(sub)
        elif base in modules:
            out.add(base)
    return out


def build_graph(root: str = ROOT) -> dict[str, set[str]]:
    """``{module: the nerve modules it imports at module level}`` (self-edges dropped)."""
    modules = _modules(root)
    graph = {}
    for name, path in modules.items():
        is_package = path.endswith("__init__.py")
        edges = set()
        for node in _module_level(_parse(path).body):
            edges |= _targets(node, name, is_package, modules)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module, largest first
    (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.add(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(comp)
    return sorted(out, key=lambda c: (-len(c), sorted(c)))


def local_imports(root: str = ROOT) -> list[tuple[str, int]]:
    """``(module, line)`` of every import of a nerve module inside a function body."""
    out = []
    for name, path in _modules(root).items():
        for fn in ast.walk(_parse(path)):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in fn.body:
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Import) and any(
                        a.name == "nerve" or a.name.startswith("nerve.") for a in sub.names
                    ):
                        out.append((name, sub.lineno))
                    elif isinstance(sub, ast.ImportFrom) and (
                        sub.level or (sub.module or "").split(".")[0] == "nerve"
                    ):
                        out.append((name, sub.lineno))
    return sorted(set(out))


def noqa_e402(root: str = ROOT) -> list[tuple[str, int]]:
    """``(module, line)`` of every line carrying ``noqa: E402``."""
    out = []
    for name, path in _modules(root).items():
        with open(path, encoding="utf-8") as fh:
            for i, line in enumerate(fh, 1):
                if "noqa: E402" in line or ("noqa:" in line and "E402" in line):
                    out.append((name, i))
    return out


def main(argv: list[str]) -> int:
    graph = build_graph(ROOT)
    comps = cycles(graph)
    print(f"modules: {len(graph)}, module-level edges: {sum(map(len, graph.values()))}")
    print(f"cycles (SCCs of more than one module): {len(comps)}; sizes: {[len(c) for c in comps]}")
    print(f"largest cycle: {len(comps[0]) if comps else 1} module(s)")
    print(f"function-local imports of nerve modules: {len(local_imports(ROOT))}")
    print(f"lines with noqa: E402: {len(noqa_e402(ROOT))}")
    if "--verbose" in argv:
        for c in comps:
            print(f"\n{len(c)}: " + ", ".join(sorted(c)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
