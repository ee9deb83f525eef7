"""nerve's public surface: the public names of each public module and of the classes
users subclass or call methods on. ``python tests/api/surface.py`` rewrites
surface.json from this checkout; do that only when a public name is added on purpose
(a restructuring must leave the file unchanged)."""

from __future__ import annotations
import __future__

import importlib
import inspect
import json
import os

MODULES = [
    "nerve",
    "nerve.nn",
    "nerve.nn.functional",
    "nerve.nn.init",
    "nerve.nn.utils",
    "nerve.nn.utils.rnn",
    "nerve.nn.utils.prune",
    "nerve.nn.utils.parametrize",
    "nerve.nn.utils.parametrizations",
    "nerve.nn.modules",
    "nerve.optim",
    "nerve.optim.lr_scheduler",
    "nerve.utils.data",
    "nerve.autograd",
    "nerve.linalg",
    "nerve.special",
    "nerve.cuda",
    "nerve.amp",
    "nerve.distributions",
    "nerve.distributed",
    "nerve.onnx",
    "nerve.func",
    "nerve.testing",
    "nerve.backends.cuda",
    "nerve.backends.cudnn",
    "nerve.diagnostics",
    "nerve.data",
    "nerve.train",
]
CLASSES = [
    "nerve.Tensor",
    "nerve.nn.Module",
    "nerve.nn.Parameter",
    "nerve.optim.Optimizer",
    "nerve.utils.data.DataLoader",
    "nerve.utils.data.Dataset",
    "nerve.autograd.Function",
]
HERE = os.path.dirname(os.path.abspath(__file__))
SNAPSHOT = os.path.join(HERE, "surface.json")


def _public(names) -> list:
    return sorted(n for n in names if not n.startswith("_"))


def _names(module) -> list:
    """Public names bound in a module, less the submodules (where a file lives is
    the module-path test's business, tests/test_torch_paths.py)."""
    return [
        n
        for n in _public(dir(module))
        if not inspect.ismodule(v := getattr(module, n)) and not isinstance(v, __future__._Feature)
    ]


def _resolve(path: str):
    mod, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(mod), attr)


def surface() -> dict:
    out = {m: _names(importlib.import_module(m)) for m in MODULES}
    out.update({c: _public(dir(_resolve(c))) for c in CLASSES})
    return out


if __name__ == "__main__":
    with open(SNAPSHOT, "w", encoding="utf-8") as f:
        json.dump(surface(), f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {SNAPSHOT}")
