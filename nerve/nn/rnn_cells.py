"""The single-step recurrent cells: RNNCell, LSTMCell and GRUCell, for generation and
custom loops (the whole-sequence layers are in rnn.py). Each step is one fused graph
node (nerve/ops/nn/recurrent*.py); a state's freed graph is caught in O(1) by rnn.py's
``_live``."""

from __future__ import annotations

import numpy as np

from nerve import dtypes
from nerve.nn.module import Module
from nerve.nn.parameter import Parameter
from nerve.nn.rnn import RNNBase, _live
from nerve.ops.nn.recurrent import rnn_cell
from nerve.ops.nn.recurrent_gru import gru_cell
from nerve.ops.nn.recurrent_lstm import lstm_cell
from nerve.tensor import Tensor


class RNNCellBase(Module):
    """One step of a recurrent layer: weight_ih (G·hidden, input), weight_hh
    (G·hidden, hidden), bias_ih, bias_hh (G·hidden,) from U(-1/√hidden, 1/√hidden)."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, gates: int, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        self.weight_ih = Parameter(np.empty((gates * hidden_size, input_size), dt))
        self.weight_hh = Parameter(np.empty((gates * hidden_size, hidden_size), dt))
        if bias:
            self.bias_ih = Parameter(np.empty(gates * hidden_size, dt))
            self.bias_hh = Parameter(np.empty(gates * hidden_size, dt))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _weights(self) -> tuple:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def _check(self, x, hx, n: int):
        """Batch the input (1-D means unbatched) and check states; returns (x, states,
        batched)."""
        name = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor, got {type(x).__name__}")
        if x.ndim not in (1, 2):
            raise ValueError(
                f"{name}: Expected input to be 1D or 2D, got {x.ndim}D input of "
                f"shape {tuple(x.shape)}"
            )
        if x.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input has inconsistent input_size: got "
                f"{x.shape[-1]} expected {self.input_size} (input shape "
                f"{tuple(x.shape)})"
            )
        batched = x.ndim == 2
        x = x if batched else x.unsqueeze(0)
        if hx is None:
            return x, [None] * n, batched
        hx = list(hx) if n == 2 else [hx]
        want = (x.shape[0], self.hidden_size)
        for i, h in enumerate(hx):
            if tuple(h.shape) != (want if batched else want[1:]):
                raise RuntimeError(
                    f"{name}: Expected hidden state {i} of size "
                    f"{want if batched else want[1:]}, got {tuple(h.shape)}"
                )
        return x, [_live(h) if batched else _live(h).unsqueeze(0) for h in hx], batched


class RNNCell(RNNCellBase):
    """h' = φ(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), φ = tanh or relu."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._check(input, hx, 1)
        h = rnn_cell(x, h, *self._weights(), nonlinearity=self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns (h', c')."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, (h, c), batched = self._check(input, hx, 2)
        h, c = lstm_cell(x, h, c, *self._weights())
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step; returns h'."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._check(input, hx, 1)
        h = gru_cell(x, h, *self._weights())
        return h if batched else h.squeeze(0)
