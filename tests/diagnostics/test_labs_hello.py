"""nerve lab hello: the slide's vocabulary and one-hot inputs, and an RNN that learns
"hell" → "ello"."""

import numpy as np

from nerve.diagnostics.labs import hello as lh


def test_vocabulary_and_one_hot_follow_the_slide():
    assert lh.VOCAB == ("h", "e", "l", "o")
    np.testing.assert_array_equal(
        lh.one_hot("hell"), [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0]]
    )


def test_learns_ello(tmp_path):
    r = lh.lab_hello(quick=True, out=str(tmp_path))
    n = r.numbers
    assert n["predicted_before"] != "ello" and n["predicted_after"] == "ello"
    after = np.array(n["after"])
    np.testing.assert_allclose(after.sum(1), 1.0, rtol=1e-5)
    targets = [lh.VOCAB.index(c) for c in "ello"]
    assert after[np.arange(4), targets].min() > 0.9
    # the same input "l" at steps 3 and 4, two different answers: the state remembers
    assert after[2].argmax() != after[3].argmax()
    assert n["steps"] < 300 and n["loss_last"] < n["loss_first"] / 5
    assert "vocabulary (the slide's order): h, e, l, o" in r.report
    assert (tmp_path / "lab_hello.png").stat().st_size > 1000
