"""The Functions behind graph writes to a view (nerve/ops/inplace/views.py): AsStrided (the
places of a view read from its base), its adjoint AsStridedGrad, and CopySlices (the base's
new version). The write-through semantics themselves are tested in
tests/autograd/test_versions.py and tests/test_inplace_graph.py."""

import numpy as np
import torch
from opcheck import Case, on_device_of, table_tests

import nerve
from nerve.ops.inplace.views import AsStrided, AsStridedGrad, CopySlices

# places of a (3, 4) base's C-order elements: a transposed corner, and one with repeats
POS = np.array([[5, 1], [6, 2]], np.intp)
REPEAT = np.array([0, 0, 7, 11, 7], np.intp)


def _gather(pos):
    return lambda x: x.reshape(-1)[torch.from_numpy(pos)]


def _scatter(pos, shape):
    def fn(dy):
        flat = torch.zeros(int(np.prod(shape)), dtype=dy.dtype)
        return flat.index_add(0, torch.from_numpy(pos).reshape(-1), dy.reshape(-1)).reshape(shape)

    return fn


def _copy_slices(x, r):
    """The base's memory already holds r at POS (as after a view's write), then the node."""
    y = x.clone()
    with nerve.no_grad():
        y.view(-1)[on_device_of(POS, y)] = r
    return CopySlices.apply(y, r, pos=on_device_of(POS, y))


def _torch_copy_slices(x, r):
    y = x.clone()
    y.view(-1)[torch.from_numpy(POS)] = r  # a write through a view: torch's CopySlices
    return y


CASES = [
    Case(
        "AsStrided", lambda x: AsStrided.apply(x, pos=on_device_of(POS, x)), _gather(POS), [(3, 4)]
    ),
    Case(
        "AsStrided/repeats",
        lambda x: AsStrided.apply(x, pos=on_device_of(REPEAT, x)),
        _gather(REPEAT),
        [(3, 4)],
    ),
    Case(
        "AsStridedGrad",
        lambda d: AsStridedGrad.apply(d, shape=(3, 4), pos=on_device_of(POS, d)),
        _scatter(POS, (3, 4)),
        [(2, 2)],
    ),
    Case(
        "AsStridedGrad/repeats",
        lambda d: AsStridedGrad.apply(d, shape=(3, 4), pos=on_device_of(REPEAT, d)),
        _scatter(REPEAT, (3, 4)),
        [(5,)],
    ),
    Case("CopySlices", _copy_slices, _torch_copy_slices, [(3, 4), (2, 2)]),
]

table_tests(CASES)
