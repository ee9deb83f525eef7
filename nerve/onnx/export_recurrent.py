"""The fused recurrent layers as ONNX RNN, LSTM and GRU nodes (one per layer and
direction; nerve's nn layers stack them and concatenate the directions).

Gate orders: PyTorch's LSTM rows are i, f, g, o, ONNX's i, o, f, c (c = g);
PyTorch's GRU rows r, z, n, ONNX's z, r, h, with linear_before_reset=1 for PyTorch's
n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))."""

from __future__ import annotations

import numpy as np

from nerve.onnx.registry import register
from nerve.ops.nn import recurrent, recurrent_gru, recurrent_lstm

_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}


def _gates(w, order):
    """(G·H, ...) rows in PyTorch's gate order -> ONNX's order, with a leading (1, ...)."""
    blocks = np.split(np.asarray(w), len(order))
    return np.concatenate([blocks[i] for i in order])[None]


def _recurrent(b, op, x, h0, c0, weights, params, out, **attrs):
    w_ih, w_hh, b_ih, b_hh = weights
    if any(b.is_traced(w) for w in weights if w is not None):
        raise b.fail(
            f"{op} with weights computed in the forward pass (export needs them as parameters)"
        )
    if params.get("lengths") is not None:
        raise b.fail(f"{op} with padded sequences (lengths)")
    if x.ndim != 3:
        raise b.fail(f"{op} cell (single step) input; export the sequence layer")
    order, nh, dt = _ORDER[op], w_hh.shape[1], w_ih._data.dtype
    names = [b.const(_gates(w_ih._data, order), "W"), b.const(_gates(w_hh._data, order), "R")]
    bias = [np.zeros(len(order) * nh, dt) if t is None else t._data for t in (b_ih, b_hh)]
    names.append(
        b.const(np.concatenate([_gates(bias[0], order)[0], _gates(bias[1], order)[0]])[None], "B")
    )
    xs = b.value(x)
    batch_first = params.get("batch_first", False)
    if batch_first:
        xs = b.one("Transpose", [xs], perm=[1, 0, 2])
    states = []
    for s in (h0, c0) if op == "LSTM" else (h0,):
        if s is None:
            states.append("")
        else:
            states.append(b.unsqueeze(b.value(s), [0]) if s.ndim == 2 else b.value(s))
    ins = [xs, *names, "", *states]
    direction = "reverse" if params.get("reverse") else "forward"
    outs = b.node(op, ins, 2 + (op == "LSTM"), hidden_size=int(nh), direction=direction, **attrs)
    y = b.squeeze(outs[0], [1])  # (T, 1, B, H) -> (T, B, H)
    if batch_first:
        y = b.one("Transpose", [y], perm=[1, 0, 2])
    finals = [o if params.get("layered") else b.squeeze(o, [0]) for o in outs[1:]]
    return [y, *finals]


@register(recurrent_lstm.LSTMFn)
def _lstm(b, inputs, params, out):
    x, h0, c0, *w = (list(inputs) + [None] * 8)[:8]
    if w[4] is not None:
        raise b.fail("LSTM with proj_size (ONNX's LSTM has no projection)")
    return _recurrent(b, "LSTM", x, h0, c0, w[:4], params, out)


@register(recurrent_gru.GRUFn)
def _gru(b, inputs, params, out):
    x, h0, *w = (list(inputs) + [None] * 6)[:6]
    return _recurrent(b, "GRU", x, h0, None, w, params, out, linear_before_reset=1)


@register(recurrent.RNNFn)
def _rnn(b, inputs, params, out):
    x, h0, *w = (list(inputs) + [None] * 6)[:6]
    act = "Relu" if params.get("nonlinearity", "tanh") == "relu" else "Tanh"
    return _recurrent(b, "RNN", x, h0, None, w, params, out, activations=[act])
