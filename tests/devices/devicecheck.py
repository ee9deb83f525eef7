"""Run an op-table row (tests/opcheck.py's Case) on a device and on the CPU, and compare
the outputs and the input gradients (the CPU run is the oracle here; PyTorch already
checked it). Both runs draw the same random numbers: the seed is reset before each."""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import sys

import numpy as np
from opcheck import REGISTRY, Const, make_inputs

import nerve

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEVICE = "cuda"
# a table: a module-level CASES list (rows made by Case(...) directly or by a helper)
_TABLE = re.compile(r"^[A-Z_]*CASES[A-Z_0-9]* *[=+]", re.M)


def table_files() -> list:
    """Every test module that builds op-table rows (imports opcheck and defines a CASES
    table at module level, whether its rows call ``Case(`` or a helper that does)."""
    out = []
    for path in sorted(glob.glob(os.path.join(TESTS, "**", "test_*.py"), recursive=True)):
        if os.sep + "devices" + os.sep in path:
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
            if (
                _TABLE.search(text)
                and "Case(" in text
                and ("from opcheck import" in text or "import opcheck" in text)
            ):
                out.append(path)
    return out


def collect() -> dict:
    """Import every table module (once) and return the registry of rows."""
    for path in table_files():
        rel = os.path.relpath(path, TESTS).replace(os.sep, "_")[:-3]
        name = f"_device_tables.{rel}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return dict(sorted(REGISTRY.items()))


def _inputs(values, device):
    xs = []
    for v in values:
        if isinstance(v, Const):
            c = v.value
            xs.append(nerve.tensor(c, device=device) if isinstance(c, np.ndarray) else c)
        else:
            xs.append(nerve.tensor(v.astype(np.float32), device=device, requires_grad=True))
    return xs


def _run(case, device):
    """(outputs, input gradients) as host arrays."""
    values = make_inputs(case)
    nerve.manual_seed(0)
    xs = _inputs(values, device)
    outs = case.fn(*xs)
    outs = tuple(outs) if isinstance(outs, tuple | list) else (outs,)
    rng = np.random.default_rng(1)
    loss = None
    for o in outs:
        if isinstance(o, nerve.Tensor) and o.requires_grad:
            w = nerve.tensor(rng.standard_normal(tuple(o.shape)).astype(o.dtype), device=device)
            term = (o * w).sum()
            loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()
    host_outs = [o.detach().cpu().numpy() if isinstance(o, nerve.Tensor) else o for o in outs]
    grads = [
        x.grad.cpu().numpy() if isinstance(x, nerve.Tensor) and x.grad is not None else None
        for x in xs
    ]
    for o in outs:
        if isinstance(o, nerve.Tensor):
            assert o.device == nerve.device(device if device == "cpu" else "cuda:0"), (
                f"{case}: output on {o.device}, expected {device}"
            )
    return host_outs, grads


def check_on_device(case, device: str = DEVICE) -> None:
    outs, grads = _run(case, "cpu")
    douts, dgrads = _run(case, device)
    assert len(outs) == len(douts)
    for i, (a, b) in enumerate(zip(outs, douts)):
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape, f"{case}: output {i}"
            np.testing.assert_allclose(
                b, a, rtol=case.rtol, atol=case.atol, err_msg=f"{case}: output {i} on {device}"
            )
    for i, (a, b) in enumerate(zip(grads, dgrads)):
        assert (a is None) == (b is None), f"{case}: gradient {i} present on one device only"
        if a is not None:
            np.testing.assert_allclose(
                b,
                a,
                rtol=case.rtol,
                atol=case.atol,
                err_msg=f"{case}: gradient of input {i} on {device}",
            )
