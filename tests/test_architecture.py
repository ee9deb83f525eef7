"""The architecture of nerve/, checked from its source (tools/architecture.py reads the
files with ast; nothing here imports nerve).

- no file in nerve/ over 500 lines;
- no import of the ``nerve`` face from inside the package;
- no file named ``*_more`` in nerve/ or tests/;
- no cycle of module-level imports through more than one file;
- no import from a lower tier to a higher one: ``TIERS`` and ``ALLOWED`` below are
  ../shared/DESIGN.md's layer drawing ("data flows down only");
- no import of another package's private names (``from m import _x``, ``mod._x``).

While the restructuring of issue 12 is under way, tests/architecture_known.py lists the
violations not fixed yet (``python tools/architecture.py --known`` writes it). Every
entry must still violate, so the lists can only shrink: a new violation fails, and so
does an entry that was fixed but left on the list.
"""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import architecture  # noqa: E402
import architecture_known as known  # noqa: E402
import import_graph  # noqa: E402

# Each module (by its longest listed prefix) belongs to one tier. Bottom to top:
TIERS = {
    # the array seam and plain values: no Tensor here
    "nerve.backend": "backend",
    "nerve.backends": "backend",
    "nerve.dtypes": "backend",
    "nerve.dtypes_info": "backend",
    "nerve.random": "backend",
    "nerve.bf16_dtype": "backend",
    "nerve.npz_archive": "backend",
    "nerve.printing": "backend",
    "nerve.version": "backend",
    # Tensor and what makes plain ones
    "nerve.tensor": "tensor",
    "nerve.creation": "tensor",
    "nerve.legacy_tensors": "tensor",
    "nerve.testing": "tensor",
    # Function, the engine, grad modes, gradcheck, anomaly core
    "nerve.autograd": "autograd",
    # the primitives: Function families
    "nerve.ops": "ops",
    # composites and torch's functional faces on the ops; torch.autograd.functional
    # (jacobian, hessian, vjp...) is built of grad and the ops too
    "nerve.functional": "functional",
    "nerve.linalg": "functional",
    "nerve.special": "functional",
    "nerve.top_level_functional": "functional",
    "nerve.autograd.functional": "functional",
    # devices: CUDA, autocast
    "nerve.cuda": "devices",
    "nerve.accelerator": "devices",
    "nerve.amp": "devices",
    # process groups and collectives (DistributedDataParallel and the samplers use them)
    "nerve.distributed": "distributed",
    # Module and the layers; what is built of layers
    "nerve.nn": "nn",
    "nerve.func": "nn",
    "nerve.models": "models",
    "nerve.model_summary": "models",
    "nerve.distributions": "models",
    "nerve.optim": "optim",
    "nerve.data": "data",
    "nerve.utils": "data",
    "nerve.utils.data": "data",
    "nerve.io": "io",
    "nerve.onnx": "onnx",
    "nerve.train": "train",
    "nerve.utils.tensorboard": "train",
    "nerve.diagnostics": "diagnostics",
    "nerve.tasks": "app",
    "nerve.cli": "app",
    "nerve.demo": "app",
    "nerve.__main__": "app",
}

# tier -> the tiers it may import (at module level or inside a function). A tier may
# always import its own modules; the face (nerve/__init__.py) is in no tier.
_CORE = {"backend", "tensor", "autograd", "ops", "functional", "devices"}
ALLOWED = {
    "backend": set(),
    "tensor": {"backend"},
    "autograd": {"backend", "tensor"},
    "ops": {"backend", "tensor", "autograd"},
    "functional": {"backend", "tensor", "autograd", "ops"},
    "devices": {"backend", "tensor", "autograd", "ops"},
    "distributed": {"backend", "tensor", "autograd"},
    "nn": _CORE | {"distributed"},
    "models": _CORE | {"nn"},
    "optim": _CORE | {"nn"},
    "data": _CORE | {"distributed"},  # data knows nothing above nn, and not nn either
    "io": _CORE | {"nn"},
    "onnx": _CORE | {"nn", "io"},
    "train": _CORE | {"distributed", "nn", "models", "optim", "data", "io"},
    "diagnostics": _CORE | {"distributed", "nn", "models", "optim", "data", "io", "train"},
    "app": _CORE
    | {"distributed", "nn", "models", "optim", "data", "io", "onnx", "train", "diagnostics"},
}


def test_every_module_has_a_tier():
    modules = architecture.module_files(ROOT)
    missing = sorted(m for m in modules if m != "nerve" and architecture.tier_of(m, TIERS) is None)
    assert not missing, f"modules in no tier of TIERS: {missing}"
    assert set(ALLOWED) == set(TIERS.values())


def test_allowed_arrows_point_down():
    """The table itself has no cycle: the tiers can be ordered with every arrow down."""
    graph = {t: set(ts) for t, ts in ALLOWED.items()}
    assert import_graph.cycles(graph) == []


@pytest.fixture(scope="module")
def found():
    return architecture.violations(TIERS, ALLOWED, ROOT)


CHECKS = {
    "long_files": "files over 500 lines",
    "face_imports": "imports of the nerve face",
    "more_names": "files named *_more",
    "cycles": "module-level import cycles",
    "upward": "upward imports",
    "private_imports": "imports of other packages' private names",
}


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_no_new_violation(found, check):
    new = found[check] - getattr(known, check.upper())
    assert not new, f"{CHECKS[check]} (tools/architecture.py {check}): " + "; ".join(
        sorted(map(_show, new))
    )


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_known_violations_still_violate(found, check):
    fixed = getattr(known, check.upper()) - found[check]
    assert not fixed, (
        f"fixed, take them off tests/architecture_known.py {check.upper()} "
        "(python tools/architecture.py --known): " + "; ".join(sorted(map(_show, fixed)))
    )


def _show(item) -> str:
    return " <-> ".join(sorted(item)) if isinstance(item, frozenset) else item


def test_checker_sees_a_cycle_and_an_upward_arrow(tmp_path):
    """The checker finds what it is meant to (on a small package written here)."""
    pkg = tmp_path / "nerve"
    (pkg / "ops").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from nerve import ops\n")
    (pkg / "ops" / "__init__.py").write_text("")
    (pkg / "ops" / "a.py").write_text("from nerve.ops.b import x\nfrom nerve.nn import _y\n")
    (pkg / "ops" / "b_more.py").write_text("import nerve\n" + "x = 1\n" * 501)
    (pkg / "ops" / "b.py").write_text("def f():\n    from nerve.ops import a\nfrom . import a\n")
    (pkg / "nn.py").write_text("_y = 1\n")
    root = str(tmp_path)
    got = architecture.violations(
        {"nerve.ops": "ops", "nerve.nn": "nn"}, {"ops": set(), "nn": {"ops"}}, root
    )
    assert got["cycles"] == {frozenset({"nerve.ops.a", "nerve.ops.b"})}
    assert got["upward"] == {"nerve.ops.a -> nerve.nn"}
    assert got["private_imports"] == {"nerve.ops.a -> nerve.nn._y"}
    assert got["face_imports"] == {"nerve.ops.b_more -> nerve"}
    assert got["more_names"] == {"nerve/ops/b_more.py"}
    assert got["long_files"] == {"nerve/ops/b_more.py"}
