"""``torch.nn.modules.rnn``'s path to the same classes as :mod:`nerve.nn`."""

from nerve.nn.rnn import GRU, LSTM, RNN, RNNBase
from nerve.nn.rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]
