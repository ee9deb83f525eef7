"""Power-average pooling: float64 finite differences and PyTorch."""

import numpy as np
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
import nerve.nn.functional as F

rng = np.random.default_rng(0)
POS = np.abs(rng.standard_normal((2, 3, 7, 8))) + 0.2
POS1 = np.abs(rng.standard_normal((2, 3, 11))) + 0.2
DEAD = POS.copy()
DEAD[0, 0, :2, :2] = 0  # a window of zeros: output 0, gradient 0 (not ∞·0)


def _pair(name, args, inputs, dims=2, **kw):
    nfn, tfn = (F.lp_pool2d, TF.lp_pool2d) if dims == 2 else (F.lp_pool1d, TF.lp_pool1d)
    return Case(name, lambda x: nfn(x, *args), lambda x: tfn(x, *args), inputs, **kw)


CASES = [
    _pair("LPRoot/p2", (2, 2), [(2, 3, 6, 8)]),
    _pair("LPRoot/p3_stride", (3, 3, 2), [POS]),
    _pair("LPRoot/p1.5_rect_ceil", (1.5, (2, 3), (2, 2), True), [POS]),
    _pair("LPRoot/p1", (1, 2), [(2, 2, 4, 6)]),
    _pair("LPRoot/inf", (float("inf"), 2), [(2, 2, 4, 6)]),
    _pair("LPRoot/dead_window", (2, 2), [DEAD], gradcheck=False),
    _pair("LPRoot/unbatched", (2, 3), [(3, 6, 6)]),
    _pair("LPRoot/1d", (2, 3, 2), [(2, 3, 11)], dims=1),
    _pair("LPRoot/1d_p3_ceil", (3, 2, None, True), [POS1], dims=1),
]


table_tests(CASES)


def test_dead_window_gradient_is_zero():
    x = nerve.tensor(DEAD, requires_grad=True)
    F.lp_pool2d(x, 2, 2).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    assert not np.any(x.grad.numpy()[0, 0, :2, :2])
