"""Recurrent layers: the Elman RNN, LSTM and GRU over whole sequences (stacked and
bidirectional); their single-step cells are in rnn_cells.py.

Each layer and direction is one fused graph node (nerve/ops/recurrent*.py); this file
only holds the parameters, arranges layers and directions, and checks the input.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from nerve import dtypes
from nerve import functional as F
from nerve.autograd.engine import is_freed
from nerve.backend import device_of, is_device_array
from nerve.nn import init
from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.nn.sequence import PackedSequence
from nerve.ops.nn.recurrent import rnn_sequence
from nerve.ops.nn.recurrent_gru import gru_sequence
from nerve.ops.nn.recurrent_lstm import lstm_sequence
from nerve.ops.shape.rearrange import cat, stack
from nerve.tensor import Tensor

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU.

    Parameters per layer k and direction (suffix "" or "_reverse"), as in PyTorch:
    weight_ih_l{k} (G·hidden, input_size or D·hidden), weight_hh_l{k} (G·hidden, hidden),
    bias_ih_l{k}, bias_hh_l{k} (G·hidden,), G = 1, 4, 3 gates; all drawn from
    U(-1/√hidden, 1/√hidden). An LSTM with proj_size P > 0 adds weight_hr_l{k} (P, hidden)
    after the biases, and P takes hidden's place in weight_hh (4·hidden, P), in the input
    of layers above the first (D·P) and in the output and h (not c).

    Set ``record_grad_norms = True`` to have every backward store ‖∂L/∂hₜ‖ per step:
    ``grad_norms[k·D + d]`` lists one array of shape (T,) per backward since the forward.
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_config(type(self).__name__, hidden_size, num_layers, dropout, proj_size, mode)
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so "
                "non-zero dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = proj_size
        self.record_grad_norms, self.grad_norms = False, []
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        g, dirs = _GATES[mode] * hidden_size, 2 if bidirectional else 1
        nr = proj_size or hidden_size  # features of h: the recurrent input and the output
        self._flat_weights_names = []
        for k in range(num_layers):
            for sfx in ("", "_reverse")[:dirs]:
                fan = input_size if k == 0 else nr * dirs
                names = [f"weight_ih_l{k}{sfx}", f"weight_hh_l{k}{sfx}"]
                shapes = [(g, fan), (g, nr)]
                if bias:
                    names += [f"bias_ih_l{k}{sfx}", f"bias_hh_l{k}{sfx}"]
                    shapes += [(g,), (g,)]
                if proj_size:
                    names.append(f"weight_hr_l{k}{sfx}")
                    shapes.append((proj_size, hidden_size))
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(np.empty(shape, dt)))
                self._flat_weights_names += names
        self.reset_parameters()

    def reset_parameters(self) -> None:
        k = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -k, k)

    def flatten_parameters(self) -> None:
        """A no-op kept for PyTorch code: nerve's weights need no flattening."""

    @property
    def all_weights(self) -> list:
        n = (4 if self.bias else 2) + (1 if self.proj_size else 0)
        flat = [getattr(self, name) for name in self._flat_weights_names]
        return [flat[i : i + n] for i in range(0, len(flat), n)]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        for name, default in (
            ("bias", True),
            ("batch_first", False),
            ("dropout", 0.0),
            ("bidirectional", False),
        ):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    # ----- forward ----------------------------------------------------------------------
    def forward(self, input, hx=None, lengths=None):  # noqa: A002 - PyTorch's names
        """input (T, B, input_size) ((B, T, input_size) if batch_first; (T, input_size)
        unbatched) or a PackedSequence; ``lengths`` (B,) marks padding without packing.
        Returns (output (T, B, D·hidden), h_n (D·num_layers, B, hidden)); LSTM's h_n is
        the pair (h_n, c_n), and with proj_size P the output is (T, B, D·P) and h_n
        (D·num_layers, B, P)."""
        packed, x = isinstance(input, PackedSequence), input
        if packed:
            x, lengths = input.data, input.lengths
        bf = self.batch_first and not packed  # packed data is time-major
        x, batched = self._check_input(x, bf)
        steps, batch = (x.shape[1], x.shape[0]) if bf and batched else x.shape[:2]
        states = self._check_hx(hx, batch, batched, x.dtype)
        if lengths is not None:
            lengths = _check_lengths(self, lengths, (steps, batch))
        if self.num_layers == 1 and not self.bidirectional:
            # one fused node does it all: layout and (1, B, H) states handled inside
            norms = self._norm_sinks(1)
            out = self._layer(
                x,
                states,
                self.all_weights[0],
                False,
                lengths,
                norms and norms[0],
                bf and batched,
                True,
            )
            y, finals = out[0], list(out[1:])
        else:
            if bf and batched:
                x = x.transpose(0, 1)
            y, finals = self._run(x, states, lengths)
            if bf and batched:
                y = y.transpose(0, 1)
        if not batched:
            y, finals = y.squeeze(1), [h.squeeze(1) for h in finals]
        if packed:
            y = PackedSequence(y, lengths)
        return y, (tuple(finals) if self.mode == "LSTM" else finals[0])

    def _run(self, x, states, lengths) -> tuple:
        dirs = 2 if self.bidirectional else 1
        norms = self._norm_sinks(dirs)
        finals = [[] for _ in range(2 if self.mode == "LSTM" else 1)]
        for k in range(self.num_layers):
            outs = []
            for d in range(dirs):
                i = k * dirs + d
                s0 = [None if s is None else s[i] for s in states]
                w = self.all_weights[i]
                out = self._layer(x, s0, w, d == 1, lengths, norms and norms[i])
                outs.append(out[0])
                for f, h in zip(finals, out[1:]):
                    f.append(h)
            x = outs[0] if dirs == 1 else cat(outs, dim=2)
            if self.dropout and self.training and k < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, [stack(f) for f in finals]

    def _layer(self, x, s0, w, reverse, lengths, norms, batch_first=False, layered=False):
        kw = {
            "reverse": reverse,
            "lengths": lengths,
            "grad_norms": norms,
            "batch_first": batch_first,
            "layered": layered,
        }
        if self.mode == "LSTM":
            if self.proj_size:
                *w, kw["weight_hr"] = w
            return lstm_sequence(x, s0[0], s0[1], *w, **kw)
        if self.mode == "GRU":
            return gru_sequence(x, s0[0], *w, **kw)
        nonlin = "relu" if self.mode == "RNN_RELU" else "tanh"
        return rnn_sequence(x, s0[0], *w, nonlinearity=nonlin, **kw)

    def _norm_sinks(self, dirs):
        if not self.record_grad_norms:
            return None
        self.grad_norms = [[] for _ in range(self.num_layers * dirs)]
        return self.grad_norms

    # ----- input checks -----------------------------------------------------------------
    def _check_input(self, x, batch_first: bool) -> tuple:
        name = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor, got {type(x).__name__}")
        if x.ndim not in (2, 3):
            raise ValueError(
                f"{name}: Expected input to be 2D (unbatched) or 3D (batched), "
                f"got {x.ndim}D input of shape {tuple(x.shape)}"
            )
        if x.shape[-1] != self.input_size:
            order = "(batch, seq, feature)" if batch_first else "(seq, batch, feature)"
            raise RuntimeError(
                f"{name}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {x.shape[-1]} (input shape "
                f"{tuple(x.shape)}, expected {order})"
            )
        if x.dtype != self.weight_ih_l0.dtype:
            raise ValueError(
                f"{name}: input dtype ({x.dtype}) does not match weight dtype "
                f"({self.weight_ih_l0.dtype}): convert the input or the model"
            )
        if x.ndim == 2:
            return x.unsqueeze(1), False
        return x, True

    def _check_hx(self, hx, batch: int, batched: bool, dtype) -> list:
        n = 2 if self.mode == "LSTM" else 1
        if hx is None:
            return [None] * n
        if self.mode == "LSTM":
            if not isinstance(hx, tuple | list) or len(hx) != 2:
                raise RuntimeError(f"{type(self).__name__}: expected hx to be a tuple (h_0, c_0)")
        else:
            hx = (hx,)
        lead = self.num_layers * (2 if self.bidirectional else 1)
        out = []
        for label, h in zip(("h_0", "c_0"), hx):
            size = self.proj_size if label == "h_0" and self.proj_size else self.hidden_size
            want = (lead, batch, size) if batched else (lead, size)
            if tuple(h.shape) != want:
                raise RuntimeError(_state_error(self, label, want, h.shape, batched))
            h = _live(h)
            out.append(h if batched else h.unsqueeze(1))
        return out


def _live(h):
    """A state whose graph a backward has already freed (carried over from the previous
    chunk without detach) is taken as a constant: truncated BPTT, not the error
    "backward through the graph a second time".

    Only the state's own node and the nodes of its direct inputs are looked at (the
    engine's ``is_freed`` looks at one node), so a step loop costs O(1) per
    call, not a walk of the whole history. A backward frees every node it walks, so a
    state that fed the loss, or was made from one that did (a view, a slice), is caught
    here; a freed node deeper behind a live one raises PyTorch's error at backward."""
    ctx = h.grad_fn
    if ctx is None:
        return h
    if is_freed(ctx):
        return h.detach()
    for p in ctx.parents:
        pctx = getattr(p, "grad_fn", None)
        if pctx is not None and is_freed(pctx):
            return h.detach()
    return h


def _state_error(layer, label, want, got, batched) -> str:
    hint = ""
    if layer.proj_size:
        hint = (
            f" (proj_size={layer.proj_size}: h_0 has proj_size features, c_0 "
            f"hidden_size={layer.hidden_size})"
        )
    if batched:
        hint += (
            " (input is read as (batch, seq, feature): batch_first=True)"
            if layer.batch_first
            else " (input is read as (seq, batch, feature): "
            "batch_first=False; pass batch_first=True for (batch, seq, feature))"
        )
    return (
        f"{type(layer).__name__}: Expected hidden state {label} of size {want}, got "
        f"{tuple(got)}{hint}"
    )


def _check_config(name, hidden_size, num_layers, dropout, proj_size, mode) -> None:
    if not isinstance(hidden_size, int) or hidden_size <= 0:
        raise ValueError(f"{name}: hidden_size must be a positive integer, got {hidden_size}")
    if not isinstance(num_layers, int) or num_layers <= 0:
        raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers}")
    if not isinstance(dropout, int | float) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the "
            "probability of an element being zeroed"
        )
    if not isinstance(proj_size, int) or isinstance(proj_size, bool):
        raise TypeError(f"{name}: proj_size must be an integer, got {type(proj_size).__name__}")
    if proj_size < 0:
        raise ValueError(
            f"{name}: proj_size should be a positive integer or zero to disable "
            f"projections, got {proj_size}"
        )
    if proj_size and mode != "LSTM":
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if proj_size >= hidden_size:
        raise ValueError(
            f"{name}: proj_size has to be smaller than hidden_size, got "
            f"proj_size={proj_size} and hidden_size={hidden_size}"
        )


def _check_lengths(layer, lengths, shape) -> np.ndarray:
    """The lengths as a host integer array: they drive the step bookkeeping, so, as
    PyTorch's packing requires, a device tensor of lengths is refused."""
    data = lengths._data if isinstance(lengths, Tensor) else lengths
    if is_device_array(data):
        raise RuntimeError(
            f"{type(layer).__name__}: 'lengths' argument should be a 1D CPU "
            f"int64 tensor, but got {data.ndim}D {device_of(data)} "
            f"{data.dtype} tensor"
        )
    arr = np.asarray(data)
    if arr.shape != (shape[1],) or arr.dtype.kind not in "iu":
        raise RuntimeError(
            f"{type(layer).__name__}: expected lengths of {shape[1]} integers "
            f"(one per sequence), got {arr.dtype} array of shape {arr.shape} "
            f"(input read as {'(batch, seq' if layer.batch_first else '(seq, batch'}"
            f", feature): is batch_first={layer.batch_first} right?)"
        )
    if arr.size and (arr.min() < 1 or arr.max() > shape[0]):
        raise RuntimeError(
            f"{type(layer).__name__}: lengths must lie in [1, {shape[0]}], got "
            f"{arr.min()}..{arr.max()}"
        )
    return arr


class RNN(RNNBase):
    """Elman network: hₜ = φ(xₜ W_ihᵀ + b_ih + hₜ₋₁ W_hhᵀ + b_hh), φ = tanh or relu."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            mode,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            0,
            device,
            dtype,
        )
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM, gates i, f, g, o:  cₜ = f ⊙ cₜ₋₁ + i ⊙ g,  hₜ = o ⊙ tanh cₜ (see LSTMFn);
    with proj_size P > 0, hₜ = W_hr (o ⊙ tanh cₜ), W_hr = weight_hr_l{k} (P, hidden)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device,
            dtype,
        )


class GRU(RNNBase):
    """GRU, gates r, z, n:  h' = (1 - z) ⊙ n + z ⊙ h (see GRUFn)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            0,
            device,
            dtype,
        )
