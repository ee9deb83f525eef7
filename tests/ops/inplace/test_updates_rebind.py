"""The Function behind in-place writes in a graph (nerve/ops/inplace/updates.py): IndexPut, the
out-of-place ``x[index] = v``. The in-place semantics themselves are tested in
tests/test_inplace_graph.py."""

import numpy as np
import torch
from opcheck import Case, on_device_of, table_tests

from nerve.ops.inplace.updates import IndexPut

ROWS = np.array([2, 0], np.int64)


def _torch_put(index):
    def fn(x, v):
        y = x.clone()
        y[index] = v
        return y

    return fn


CASES = [
    Case(
        "IndexPut/slice_broadcast",
        lambda x, v: IndexPut.apply(x, v, index=(slice(None), 1)),
        _torch_put((slice(None), 1)),
        [(3, 4), (1,)],
    ),
    Case(
        "IndexPut/rows",
        lambda x, v: IndexPut.apply(x, v, index=on_device_of(ROWS, x)),
        _torch_put(ROWS),
        [(3, 4), (2, 4)],
    ),
    Case(
        "IndexPut/all",
        lambda x, v: IndexPut.apply(x, v, index=Ellipsis),
        _torch_put(Ellipsis),
        [(2, 3), (3,)],
    ),
    Case(
        "IndexPut/mask",
        lambda x, v: IndexPut.apply(x, v, index=on_device_of(np.eye(3, dtype=bool), x)),
        _torch_put(torch.eye(3, dtype=torch.bool)),
        [(3, 3), ()],
    ),
]


table_tests(CASES)
