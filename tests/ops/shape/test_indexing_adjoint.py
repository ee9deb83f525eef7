"""GetItemGrad (nerve/ops/shape/indexing.py): x[index]'s adjoint as an op of its own, used by
the double backward of indexing, against torch's index_put with accumulation."""

import numpy as np
import torch
from opcheck import Case, on_device_of, table_tests

from nerve.ops.shape.indexing import GetItemGrad

ROWS = np.array([0, 2, 2])


def _scatter(shape, index):
    def put(x):
        return torch.zeros(shape, dtype=x.dtype).index_put(index, x, accumulate=True)

    return put


CASES = [
    Case(
        "GetItemGrad/slice",
        lambda x: GetItemGrad.apply(x, shape=(3, 4), index=(slice(1, None), slice(0, None, 2))),
        lambda x: torch.zeros(3, 4, dtype=x.dtype).index_put(
            (torch.arange(1, 3)[:, None], torch.arange(0, 4, 2)), x
        ),
        [(2, 2)],
    ),
    Case(
        "GetItemGrad/repeated_rows",
        lambda x: GetItemGrad.apply(x, shape=(3, 4), index=on_device_of(ROWS, x)),
        _scatter((3, 4), (torch.tensor(ROWS),)),
        [(3, 4)],
    ),
]


table_tests(CASES)
