"""The fused LSTM op against finite differences and torch.nn.LSTM (see test_recurrent.py)."""

import numpy as np
import torch
from opcheck import Case, table_tests
from test_recurrent import LENGTHS, torch_layer

import nerve
from nerve.ops.nn.recurrent_lstm import lstm_cell, lstm_sequence

LENGTHS9 = np.array([5, 1, 3, 4, 2, 5, 1, 2, 3])


def lstm_case(name, nt=4, nb=3, ni=2, nh=3, bias=True, reverse=False, lengths=None, h0=True, **kw):
    def fn(x, h, c, *w):
        return lstm_sequence(
            x, h if h0 else None, c if h0 else None, *w, reverse=reverse, lengths=lengths
        )

    def tfn(x, h, c, *w):
        if not h0:
            h, c = torch.zeros_like(h), torch.zeros_like(c)
        return torch_layer("lstm", x, (h, c), w, reverse, lengths)

    shapes = [(nt, nb, ni), (nb, nh), (nb, nh), (4 * nh, ni), (4 * nh, nh)]
    return Case(name, fn, tfn, shapes + ([(4 * nh,), (4 * nh,)] if bias else []), **kw)


CASES = [
    lstm_case("LSTMFn/basic"),
    lstm_case("LSTMFn/no-bias", bias=False),
    lstm_case("LSTMFn/reverse", reverse=True),
    lstm_case("LSTMFn/no-state", h0=False),
    lstm_case("LSTMFn/lengths", lengths=LENGTHS),
    lstm_case("LSTMFn/reverse-lengths", reverse=True, lengths=LENGTHS),
    lstm_case("LSTMFn/one-step-batch1", nt=1, nb=1),
    lstm_case("LSTMFn/long", nt=200, nb=2, nh=4, gradcheck=False, rtol=1e-3, atol=1e-5),
    # 8 sequences or more take the block path of the gate math; more steps than input
    # features fold the bias into the projection
    lstm_case("LSTMFn/batch9-lengths", nt=5, nb=9, lengths=LENGTHS9),
    lstm_case("LSTMFn/batch9-reverse-no-state", nt=5, nb=9, reverse=True, h0=False),
    lstm_case("LSTMFn/batch9-no-bias", nt=5, nb=9, bias=False),
    Case(
        "LSTMFn/cell",
        lambda x, h, c, *w: lstm_cell(x, h, c, *w),
        lambda x, h, c, *w: torch.lstm_cell(x, (h, c), *w),
        [(2, 3), (2, 4), (2, 4), (16, 3), (16, 4), (16,), (16,)],
    ),
]


table_tests(CASES)


def test_saturated_gates_stay_finite():
    x = nerve.full((3, 1, 2), 1e4)
    w = [nerve.ones(8, 2), nerve.ones(8, 2)]
    y, h, c = lstm_sequence(x, None, None, *w)
    assert np.all(np.isfinite(y.numpy())) and np.allclose(c.numpy(), 3.0)


def test_float32_in_float32_out():
    x = nerve.randn(2, 1, 3)
    w = [nerve.randn(8, 3), nerve.randn(8, 2), nerve.randn(8), nerve.randn(8)]
    assert all(o.dtype == nerve.float32 for o in lstm_sequence(x, None, None, *w))
