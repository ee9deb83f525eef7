"""nerve/ops/nn/rectifiers.py (LeakyReLU, PReLU, RReLU, CReLU, ELU): their op-table rows are
made beside the other activations' in test_activation_extra.py (checked against PyTorch
there, and on the device by tests/devices); this module selects them, so that the
coverage check of tests/ops/test_coverage.py finds a row for every rectifier."""

from opcheck import all_functions
from test_activation_smooth import CASES as _ACTIVATION_ROWS

from nerve.ops.nn import rectifiers

CASES = [case for case in _ACTIVATION_ROWS if case.name.split("/")[0] in all_functions(rectifiers)]


def test_every_rectifier_has_rows():
    named = {case.name.split("/")[0] for case in CASES}
    assert named == all_functions(rectifiers) == {"LeakyReLU", "PReLU", "RReLU", "CReLU", "ELU"}
