"""Every public nerve name imports through the module path PyTorch gives it.

The pairs are computed from torch: for each family (``nn``, ``optim``, ``utils.data``,
...) and each public name nerve's family shares with torch's, the torch module that
defines it (``torch.nn.Linear.__module__ == "torch.nn.modules.linear"``) and every torch
submodule whose ``__all__`` lists it must exist under ``nerve.`` and hold the very same
object as nerve's family.
"""

import importlib
import inspect
import pkgutil

import pytest

import nerve

torch = pytest.importorskip("torch")

FAMILIES = [
    "nn",
    "nn.functional",
    "nn.init",
    "nn.utils",
    "nn.utils.rnn",
    "nn.utils.prune",
    "nn.utils.parametrize",
    "nn.utils.parametrizations",
    "optim",
    "optim.lr_scheduler",
    "utils.data",
    "autograd",
    "distributions",
    "func",
]
# torch packages whose submodules real programs import (and their __all__ say what)
SUBPACKAGES = {"nn": "nn.modules", "optim": "optim", "utils.data": "utils.data"}


def _public_path(module: str | None) -> str | None:
    """``nn.modules.linear`` for ``torch.nn.modules.linear``; None for torch._C and other
    private homes (``utils.data._utils`` is private in name only: programs import it)."""
    if not isinstance(module, str) or not module.startswith("torch."):
        return None
    path = module[len("torch.") :]
    private = [p for p in path.split(".") if p.startswith("_")]
    return None if private and not path.startswith("utils.data._utils") else path


def _pairs() -> list[tuple[str, str, str]]:
    pairs = set()
    for family in FAMILIES:
        ours = importlib.import_module("nerve." + family)
        theirs = importlib.import_module("torch." + family)
        for name in set(dir(ours)) | set(getattr(ours, "__all__", ())):  # __all__: lazy names
            if name.startswith("_") or not hasattr(theirs, name):
                continue
            obj = getattr(theirs, name)
            path = _public_path(getattr(obj, "__module__", None))
            if not inspect.ismodule(obj) and path is not None:
                pairs.add((family, path, name))
    for family, sub in SUBPACKAGES.items():
        ours = importlib.import_module("nerve." + family)
        package = importlib.import_module("torch." + sub)
        for info in pkgutil.iter_modules(package.__path__):
            path = f"{sub}.{info.name}"
            if _public_path("torch." + path) is None:
                continue
            module = importlib.import_module("torch." + path)
            for name in getattr(module, "__all__", ()):
                if hasattr(ours, name) and not inspect.ismodule(getattr(ours, name)):
                    pairs.add((family, path, name))
        for name in getattr(package, "__all__", ()):
            if hasattr(ours, name) and not inspect.ismodule(getattr(ours, name)) and sub != family:
                pairs.add((family, sub, name))
    return sorted(pairs)


PAIRS = _pairs()
PARAMS = PAIRS


def test_the_list_covers_the_families():
    paths = {p for _, p, _ in PAIRS}
    for path in (
        "nn.modules.linear",
        "nn.modules.rnn",
        "nn.modules.container",
        "nn.parameter",
        "nn.modules.module",
        "optim.optimizer",
        "optim.lr_scheduler",
        "nn.utils.rnn",
        "nn.init",
        "autograd.function",
        "nn.functional",
        "utils.data.dataloader",
        "utils.data.dataset",
        "utils.data.sampler",
        "utils.data._utils.collate",
    ):
        assert path in paths, path
    assert len(PAIRS) > 300


@pytest.mark.parametrize("family, path, name", PARAMS, ids=[f"{p}.{n}" for _, p, n in PAIRS])
def test_name_imports_by_its_torch_path(family, path, name):
    module = importlib.import_module("nerve." + path)
    assert hasattr(module, name), f"nerve.{path} lacks {name} (torch.{path}.{name})"
    assert getattr(module, name) is getattr(importlib.import_module("nerve." + family), name)


def test_makemore_imports():
    from nerve.utils.data.dataloader import DataLoader
    from nerve.utils.data.dataset import Dataset

    assert DataLoader is nerve.utils.data.DataLoader and Dataset is nerve.data.Dataset
    assert nerve.nn.modules.linear.Linear is nerve.nn.Linear


def test_distributed_sampler_path():
    try:
        from nerve.data.distributed import DistributedSampler
    except ImportError:
        with pytest.raises(AttributeError, match="DistributedSampler"):
            nerve.utils.data.DistributedSampler  # noqa: B018
        return
    from nerve.utils.data.distributed import DistributedSampler as ByPath

    assert ByPath is DistributedSampler is nerve.utils.data.DistributedSampler
