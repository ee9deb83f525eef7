"""tools/mistakes.py as a test: each typical mistake raises PyTorch's exception type in
nerve too, with a message that names the layer or op, what it expected and what it got."""

import os
import sys

import pytest
import torch

import nerve

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")
sys.path.insert(0, TOOLS)
import mistakes  # noqa: E402


def test_there_are_at_least_25_mistakes():
    assert len(mistakes.CASES) >= 25


@pytest.mark.parametrize("what,fn,must", mistakes.CASES, ids=[c[0] for c in mistakes.CASES])
def test_nerve_raises_what_torch_raises_and_says_what_was_wrong(what, fn, must):
    n_type, n_msg = mistakes.outcome(nerve, fn)
    t_type, _ = mistakes.outcome(torch, fn)
    if t_type is None:
        assert n_type is None, n_msg
    else:
        assert n_type is not None and issubclass(n_type, t_type), (n_type, n_msg)
    missing = [w for w in must if w.lower() not in n_msg.lower()]
    assert not missing, n_msg
