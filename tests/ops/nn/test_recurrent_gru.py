"""The fused GRU op against finite differences and torch.nn.GRU (see test_recurrent.py)."""

import numpy as np
import torch
from opcheck import Case, table_tests
from test_recurrent import LENGTHS, torch_layer

import nerve
from nerve.ops.nn.recurrent_gru import gru_cell, gru_sequence


def gru_case(name, nt=4, nb=3, ni=2, nh=3, bias=True, reverse=False, lengths=None, h0=True, **kw):
    def fn(x, h, *w):
        return gru_sequence(x, h if h0 else None, *w, reverse=reverse, lengths=lengths)

    def tfn(x, h, *w):
        return torch_layer("gru", x, (h if h0 else torch.zeros_like(h),), w, reverse, lengths)

    shapes = [(nt, nb, ni), (nb, nh), (3 * nh, ni), (3 * nh, nh)]
    return Case(name, fn, tfn, shapes + ([(3 * nh,), (3 * nh,)] if bias else []), **kw)


CASES = [
    gru_case("GRUFn/basic"),
    gru_case("GRUFn/no-bias", bias=False),
    gru_case("GRUFn/reverse", reverse=True),
    gru_case("GRUFn/no-state", h0=False),
    gru_case("GRUFn/lengths", lengths=LENGTHS),
    gru_case("GRUFn/reverse-lengths", reverse=True, lengths=LENGTHS),
    gru_case("GRUFn/one-step-batch1", nt=1, nb=1),
    gru_case("GRUFn/long", nt=200, nb=2, nh=4, gradcheck=False, rtol=1e-3, atol=1e-5),
    Case(
        "GRUFn/cell",
        lambda x, h, *w: gru_cell(x, h, *w),
        lambda x, h, *w: torch.gru_cell(x, h, *w),
        [(2, 3), (2, 4), (12, 3), (12, 4), (12,), (12,)],
    ),
]


table_tests(CASES)


def test_grad_norms_one_array_per_backward():
    x = nerve.randn(5, 2, 3, requires_grad=True)
    w = [nerve.randn(6, 3), nerve.randn(6, 2)]
    norms = []
    y, h = gru_sequence(x, None, *w, grad_norms=norms)
    y.sum().backward()
    assert len(norms) == 1 and norms[0].shape == (5,) and np.all(norms[0] > 0)
