"""LinearMap (nerve/ops/linalg/linear_map.py): a linear map of arrays with its adjoint as an op;
here A x = x M, so it must match torch's product and gradient."""

import numpy as np
import torch
from opcheck import Case, table_tests

from nerve.backend import same_module
from nerve.ops.linalg.linear_map import LinearMap

M = np.random.default_rng(0).standard_normal((4, 3))


def _map(x):
    # M placed on the array's device (the device tests run this row on "cuda" too)
    return LinearMap.apply(
        x,
        map=lambda a: a @ same_module(M.astype(a.dtype), a),
        adjoint=lambda g: g @ same_module(M.T.astype(g.dtype), g),
    )


CASES = [Case("LinearMap/matrix", _map, lambda x: x @ torch.tensor(M, dtype=x.dtype), [(2, 4)])]


table_tests(CASES)


def test_its_double_backward_is_the_map_again():
    import nerve
    from nerve.autograd import gradgradcheck

    x = nerve.tensor(np.random.default_rng(1).standard_normal((2, 4)), requires_grad=True)
    assert gradgradcheck(lambda a: _map(a * a), (x,))
