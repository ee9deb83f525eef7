"""opcheck.table_tests: the tests it defines for an op table, and that each can fail."""

import types
import warnings

import pytest
import torch
from opcheck import REGISTRY, Case, table_tests

import nerve
from nerve.autograd import GradcheckError
from nerve.autograd.function import Function


class _WrongSquare(Function):
    """y = x², with a backward that forgets the factor 2 (a deliberate bug)."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, dy):
        return dy * self.x


@pytest.fixture(autouse=True)
def _registry():
    # the rows made here are not op rows: keep them out of the registry tests/devices reads
    before = dict(REGISTRY)
    yield
    REGISTRY.clear()
    REGISTRY.update(before)


def _row(name, fn, torch_fn, inputs=((3, 4),)):
    return Case(name, fn, torch_fn, list(inputs))


def _table(cases, **options) -> dict:
    """The namespace of a fake table module after its ``table_tests`` call."""
    namespace = {
        "__name__": "fake_table",
        "CASES": cases,
        "OPTIONS": options,
        "table_tests": table_tests,
    }
    exec("table_tests(CASES, **OPTIONS)", namespace)
    return namespace


def _rows_of(test) -> list:
    (mark,) = test.pytestmark
    assert mark.name == "parametrize" and mark.args[0] == "case"
    return [mark.kwargs["ids"](case) for case in mark.args[1]]


def test_the_standard_tests_are_defined_over_every_row():
    cases = [_row("Tanh/a", lambda x: x.tanh(), torch.tanh), _row("Tanh/b", nerve.tanh, torch.tanh)]
    namespace = _table(cases)
    assert {"test_gradcheck", "test_against_torch"} <= set(namespace)
    assert "test_against_torch_float64" not in namespace
    assert "test_every_function_has_a_case" not in namespace
    for name in ("test_gradcheck", "test_against_torch"):
        assert _rows_of(namespace[name]) == ["Tanh/a", "Tanh/b"]
        assert namespace[name].__module__ == "fake_table"
        for case in cases:
            namespace[name](case)


def test_the_options_add_and_drop_tests():
    cases = [_row("Exp", nerve.exp, torch.exp)]
    namespace = _table(cases, float64=True, against_torch=False)
    assert "test_against_torch" not in namespace
    assert _rows_of(namespace["test_against_torch_float64"]) == ["Exp"]
    namespace["test_against_torch_float64"](cases[0])


def test_a_row_that_differs_from_torch_fails():
    case = _row("Exp/wrong", nerve.exp, lambda x: torch.exp(x) + 1e-2)
    for name in ("test_against_torch", "test_against_torch_float64"):
        with pytest.raises(AssertionError, match="Exp/wrong: forward"):
            _table([case], float64=True)[name](case)


def test_a_wrong_gradient_fails_gradcheck_unless_the_row_opts_out():
    case = _row("Square/wrong", _WrongSquare.apply, torch.square)
    with pytest.raises(GradcheckError):
        _table([case])["test_gradcheck"](case)
    with pytest.raises(AssertionError, match="grad of input 0"):
        _table([case])["test_against_torch"](case)
    case.gradcheck = False  # a row at a kink: checked against torch only
    _table([case])["test_gradcheck"](case)


def test_ignore_warnings_silences_only_the_torch_comparisons():
    def warns(x):
        warnings.warn("a warning the row makes on purpose", UserWarning, stacklevel=1)
        return x * 2

    case = _row("Double", warns, lambda x: x * 2)
    with pytest.warns(UserWarning, match="on purpose"):
        _table([case])["test_against_torch"](case)
    quiet = _table([case], ignore_warnings="the row warns on purpose")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet["test_against_torch"](case)
        with pytest.raises(UserWarning, match="on purpose"):
            quiet["test_gradcheck"](case)


def test_the_coverage_check_names_a_function_without_a_row():
    module = types.ModuleType("fake_ops")

    class Covered(Function):
        def forward(self, x):
            return x

    class Forgotten(Function):
        def forward(self, x):
            return x

    for cls in (Covered, Forgotten):
        cls.__module__ = module.__name__
        setattr(module, cls.__name__, cls)
    check = _table([_row("Covered/x", lambda x: x, lambda x: x)], covers=module)[
        "test_every_function_has_a_case"
    ]
    with pytest.raises(AssertionError, match=r"fake_ops: no row for \['Forgotten'\]"):
        check()
    check = _table(
        [
            _row("Covered/x", lambda x: x, lambda x: x),
            _row("Forgotten/y", lambda x: x, lambda x: x),
        ],
        covers=module,
    )["test_every_function_has_a_case"]
    check()


def test_a_module_that_already_defines_a_standard_test_is_refused():
    namespace = {
        "__name__": "fake_table",
        "table_tests": table_tests,
        "CASES": [_row("Neg", lambda x: -x, lambda x: -x)],
        "test_against_torch": lambda case: None,
    }
    with pytest.raises(ValueError, match="fake_table already defines test_against_torch"):
        exec("table_tests(CASES)", namespace)
