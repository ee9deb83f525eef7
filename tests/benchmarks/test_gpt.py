"""gpt_train's model is the same in nerve and PyTorch: from the same weights, three AdamW
steps of a tiny version give the same losses (no timing asserted)."""

import numpy as np

from benchmarks import gpt

TINY = gpt.Config(n_layer=2, n_head=2, n_embd=16, block=8, batch=3, vocab=11, lr=1e-2)


def test_tiny_gpt_trains_like_torch():
    state = gpt.weights(TINY)
    nerve_step, torch_step = gpt.trainer("nerve", TINY, state), gpt.trainer("torch", TINY, state)
    ours = [nerve_step() for _ in range(3)]
    theirs = [torch_step() for _ in range(3)]
    assert ours[2] < ours[0]  # it learns
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)


def test_state_dicts_have_the_same_keys_and_shapes():
    import torch

    import nerve

    a = gpt.build(nerve, TINY).state_dict()
    b = gpt.build(torch, TINY).state_dict()
    assert list(a) == list(b)
    assert all(tuple(a[k].shape) == tuple(b[k].shape) for k in a)
