"""The generic op check: finite differences in float64 and PyTorch on the same inputs.

A table row is ``Case(name, nerve_fn, torch_fn, inputs)``. Each input is an array
(used as is), a shape (standard normal draws), or ``Const(array)`` for an input that
takes no gradient (indices, masks). Both functions get the inputs in the same order,
as nerve Tensors or as torch tensors. A row's name is "Class/variant" (the Function
class it tests, then what this row varies); ``rtol``/``atol`` loosen one row's
comparison with torch, ``gradcheck=False`` leaves a row out of the finite differences
(a kink or a tie that central differences straddle).

A table file holds its rows and one call that turns them into tests::

    from opcheck import Case, table_tests
    from nerve.ops.shape import fold

    CASES = [Case("Fold/basic", fold_fn, torch_fold_fn, [(2, 12, 9)]), ...]

    table_tests(CASES, covers=fold)

``table_tests`` defines, in the module that calls it, one test per row of each of:

- ``test_gradcheck[row]``: the row's nerve function against float64 finite differences
  (rows with ``gradcheck=False`` check nothing here);
- ``test_against_torch[row]``: outputs and input gradients against ``torch_fn`` in
  float32, under a random upstream gradient (``against_torch=False`` for a table whose
  rows have no torch twin);
- ``test_against_torch_float64[row]``: the same in float64, with ``float64=True``;

and, with ``covers=module``, ``test_every_function_has_a_case``: every Function class
defined in that ``nerve.ops`` module has a row. So adding an op is one class in its
family's module and one row in the family's table. Special tests (error messages, a
forced code path) stay ordinary functions beside the table.

Every row is also recorded in ``REGISTRY`` under "tests/ops/test_x.py::name", from
which tests/devices runs each row on the device.
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch

import nerve
from nerve.autograd.gradcheck import gradcheck

torch.set_num_threads(2)


@dataclass
class Const:
    value: object


@dataclass
class Case:
    name: str
    fn: object
    torch_fn: object
    inputs: list
    rtol: float = 1e-4
    atol: float = 1e-5
    gradcheck: bool = True
    tags: list = field(default_factory=list)

    def __str__(self) -> str:
        return self.name

    def __post_init__(self) -> None:
        # every row is recorded with the file that made it, so that tests/devices can run
        # each one on the device (keyed "tests/ops/test_x.py::name")
        caller = sys._getframe(2).f_globals.get("__file__") or "?"
        self.where = os.path.relpath(caller, _TESTS).replace(os.sep, "/")
        REGISTRY.setdefault(f"{self.where}::{self.name}", self)


_TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGISTRY: dict = {}  # "tests/ops/test_x.py::name" -> the first Case made with that key


def on_device_of(array, like):
    """A row's fixed host array (a mask, an index) on the device of the tensor ``like``,
    as a torch program must place it; unchanged on the CPU."""
    from nerve.backend import to_device

    return to_device(np.asarray(array), like.device)


def make_inputs(case: Case, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for spec in case.inputs:
        if isinstance(spec, Const):
            out.append(spec)
        elif isinstance(spec, tuple):
            out.append(rng.standard_normal(spec))
        else:
            out.append(np.asarray(spec, dtype=np.float64))
    return out


def _nerve(values, dtype):
    return [
        v.value if isinstance(v, Const) else nerve.tensor(v.astype(dtype), requires_grad=True)
        for v in values
    ]


def _torch(values, dtype):
    out = []
    for v in values:
        if isinstance(v, Const):
            c = v.value
            out.append(torch.from_numpy(np.asarray(c)) if isinstance(c, np.ndarray) else c)
        else:
            out.append(torch.tensor(v.astype(dtype), requires_grad=True))
    return out


def _unconst(values):
    return [
        (nerve.from_numpy(v.value) if isinstance(v.value, np.ndarray) else v.value)
        if isinstance(v, Const)
        else v
        for v in values
    ]


def check_gradcheck(case: Case) -> None:
    values = make_inputs(case)
    xs = _unconst(_nerve(values, np.float64))
    assert gradcheck(case.fn, xs, eps=1e-6, atol=1e-6, rtol=1e-4)


def _as_tuple(out):
    return tuple(out) if isinstance(out, tuple | list) else (out,)


def check_torch(case: Case, dtype=np.float32) -> None:
    values = make_inputs(case)
    xs = _unconst(_nerve(values, dtype))
    ts = _torch(values, dtype)
    outs, touts = _as_tuple(case.fn(*xs)), _as_tuple(case.torch_fn(*ts))
    assert len(outs) == len(touts), f"{case}: {len(outs)} outputs vs torch's {len(touts)}"
    rng = np.random.default_rng(1)
    loss, tloss = 0, 0
    for o, t in zip(outs, touts):
        tnp = t.detach().numpy()
        assert o.shape == tuple(t.shape), f"{case}: shape {o.shape} vs torch {tuple(t.shape)}"
        assert o.dtype == tnp.dtype, f"{case}: dtype {o.dtype} vs torch {tnp.dtype}"
        np.testing.assert_allclose(
            o.detach().numpy(), tnp, rtol=case.rtol, atol=case.atol, err_msg=f"{case}: forward"
        )
        if t.requires_grad:
            w = rng.standard_normal(tuple(t.shape)).astype(dtype)
            loss = loss + (o * nerve.tensor(w)).sum()
            tloss = tloss + (t * torch.from_numpy(w)).sum()
    if not isinstance(loss, int):
        loss.backward()
        tloss.backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            if t.grad is None:
                assert x.grad is None or not np.any(x.grad.numpy()), f"{case}: grad {i}"
                continue
            assert x.grad is not None, f"{case}: input {i} got no gradient"
            assert isinstance(x.grad, nerve.Tensor)
            assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
            np.testing.assert_allclose(
                x.grad.numpy(),
                t.grad.numpy(),
                rtol=case.rtol,
                atol=case.atol,
                err_msg=f"{case}: grad of input {i}",
            )


def all_functions(module) -> set:
    """The Function subclasses defined in an ops module."""
    from nerve.autograd.function import Function

    return {
        name
        for name, obj in vars(module).items()
        if isinstance(obj, type)
        and issubclass(obj, Function)
        and obj is not Function
        and obj.__module__ == module.__name__
    }


def table_tests(
    cases: list,
    *,
    float64: bool = False,
    against_torch: bool = True,
    covers=None,
    ignore_warnings: str | None = None,
) -> dict:
    """Define the standard tests of the table ``cases`` in the calling module (see the
    module docstring) and return them by name. ``ignore_warnings`` (the reason) silences
    warnings during the comparisons with torch, for a torch function that warns about
    the call the row makes on purpose."""
    namespace = sys._getframe(1).f_globals
    each_row = pytest.mark.parametrize("case", cases, ids=str)

    def compare(case, dtype):
        if ignore_warnings is None:
            check_torch(case, dtype)
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_torch(case, dtype)

    def test_gradcheck(case):
        if case.gradcheck:
            check_gradcheck(case)

    def test_against_torch(case):
        compare(case, np.float32)

    def test_against_torch_float64(case):
        compare(case, np.float64)

    def test_every_function_has_a_case():
        missing = all_functions(covers) - {c.name.split("/")[0] for c in cases}
        assert not missing, f"{covers.__name__}: no row for {sorted(missing)}"

    tests = {"test_gradcheck": each_row(test_gradcheck)}
    if against_torch:
        tests["test_against_torch"] = each_row(test_against_torch)
    if float64:
        tests["test_against_torch_float64"] = each_row(test_against_torch_float64)
    if covers is not None:
        tests["test_every_function_has_a_case"] = test_every_function_has_a_case
    for name, test in tests.items():
        if name in namespace:
            raise ValueError(f"table_tests: {namespace.get('__name__')} already defines {name}")
        test.__module__ = namespace.get("__name__", test.__module__)
        namespace[name] = test
    return tests
