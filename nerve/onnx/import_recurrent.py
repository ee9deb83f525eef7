"""ONNX's RNN, LSTM and GRU nodes run by nerve's fused sequence ops (one per direction).

ONNX stacks the gates as LSTM i, o, f, c and GRU z, r, h; nerve (PyTorch) as LSTM
i, f, g, o and GRU r, z, n; the blocks are regrouped with differentiable slices, so the
ONNX weights stay the Parameters that train."""

from __future__ import annotations

from nerve.onnx.errors import UnsupportedOperatorError
from nerve.onnx.import_registry import op
from nerve.ops.nn.recurrent import rnn_sequence
from nerve.ops.nn.recurrent_gru import gru_sequence
from nerve.ops.nn.recurrent_lstm import lstm_sequence
from nerve.ops.shape.rearrange import cat, stack

# for each nerve gate, the ONNX block it comes from
_FROM_ONNX = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2], "RNN": [0]}
_DEFAULT_ACTS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"]}


def _regroup(w, order, nh):
    return cat([w[i * nh : (i + 1) * nh] for i in order], dim=0)


def _run(kind, x, a):
    nh, direction = a["hidden_size"], a.get("direction", "forward")
    if a.get("layout", 0) or "clip" in a or a.get("input_forget", 0):
        raise UnsupportedOperatorError(f"load_model: {kind} with layout=1, clip or input_forget")
    acts = a.get("activations")
    nonlin = "tanh"
    if kind == "RNN":
        nonlin = (acts or ["Tanh"])[0].lower()
        if nonlin not in ("tanh", "relu"):
            raise UnsupportedOperatorError(f"load_model: RNN activation {acts[0]}")
    elif acts and acts[: len(_DEFAULT_ACTS[kind])] != _DEFAULT_ACTS[kind]:
        raise UnsupportedOperatorError(f"load_model: {kind} activations {acts}")
    if kind == "GRU" and not a.get("linear_before_reset", 0):
        raise UnsupportedOperatorError(
            "load_model: GRU with linear_before_reset=0 (nerve's "
            "GRU is PyTorch's, linear_before_reset=1)"
        )
    xs, w_all, r_all = x[0], x[1], x[2]
    b_all = x[3] if len(x) > 3 else None
    if len(x) > 4 and x[4] is not None:
        raise UnsupportedOperatorError(f"load_model: {kind} with sequence_lens")
    h0 = x[5] if len(x) > 5 else None
    c0 = x[6] if len(x) > 6 else None
    order, g = _FROM_ONNX[kind], len(_FROM_ONNX[kind])
    dirs = ["forward", "reverse"] if direction == "bidirectional" else [direction]
    ys, hs, cs = [], [], []
    for d, name in enumerate(dirs):
        w_ih, w_hh = _regroup(w_all[d], order, nh), _regroup(r_all[d], order, nh)
        b_ih = b_hh = None
        if b_all is not None:
            b_ih = _regroup(b_all[d, : g * nh], order, nh)
            b_hh = _regroup(b_all[d, g * nh :], order, nh)
        rev = name == "reverse"
        h = None if h0 is None else h0[d]
        if kind == "LSTM":
            y, hn, cn = lstm_sequence(
                xs, h, None if c0 is None else c0[d], w_ih, w_hh, b_ih, b_hh, reverse=rev
            )
            cs.append(cn)
        elif kind == "GRU":
            y, hn = gru_sequence(xs, h, w_ih, w_hh, b_ih, b_hh, reverse=rev)
        else:
            y, hn = rnn_sequence(xs, h, w_ih, w_hh, b_ih, b_hh, nonlinearity=nonlin, reverse=rev)
        ys.append(y)
        hs.append(hn)
    out = [stack(ys, dim=1), stack(hs, dim=0)]
    if kind == "LSTM":
        out.append(stack(cs, dim=0))
    return tuple(out)


op("LSTM")(lambda x, a: _run("LSTM", x, a))
op("GRU")(lambda x, a: _run("GRU", x, a))
op("RNN")(lambda x, a: _run("RNN", x, a))
