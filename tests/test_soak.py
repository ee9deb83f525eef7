"""The CI-sized run of tools/soak.py: memory stays flat over training steps, and a long
sequence's BPTT stays finite."""

import os
import sys

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")
sys.path.insert(0, TOOLS)
import soak  # noqa: E402


def test_mlp_and_lstm_training_memory_stays_flat():
    for result in (soak.train_mlp(1000), soak.train_lstm(400)):
        rss = result["rss_mb"]
        first, last = rss[100], rss[max(rss)]
        assert last - first < 8, rss  # a leaked graph per step would be megabytes
        assert result["finite"]
        assert result["loss_at_marks"][-1] < result["loss_at_marks"][0]


def test_a_long_lstm_and_gru_sequence_backward_is_finite():
    for cell in ("LSTM", "GRU"):
        result = soak.long_sequence(cell, 2000)
        assert result["finite"], result
        assert result["rss_growth_mb"] < 200
