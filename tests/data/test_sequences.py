"""The embedded Reber grammar generator."""

import numpy as np

import nerve
from nerve.data import EmbeddedReber, embedded_reber
from nerve.data.sequences import INDEX, allowed_next, encode, reber_string


def test_strings_follow_the_grammar_and_embed_the_same_symbol():
    nerve.manual_seed(0)
    strings = embedded_reber(300)
    for s in strings:
        assert s[0] == "B" and s[-1] == "E" and s[1] == s[-2] and s[1] in "TP"
        assert s[2] == "B" and s[-3] == "E"
        ok = allowed_next(s)
        assert all(ok[t, INDEX[s[t + 1]]] for t in range(len(s) - 1)), s
        assert ok[-2].sum() == 1  # the long-range step has one answer
    assert {s[1] for s in strings} == {"T", "P"}
    assert len(set(strings)) > 50


def test_a_wrong_symbol_is_not_allowed():
    ok = allowed_next("BTBTXSETE")
    assert not ok[-2, INDEX["P"]] and not ok[2, INDEX["S"]]


def test_reproducible_and_min_length():
    a, b = EmbeddedReber(20, seed=3), EmbeddedReber(20, seed=3)
    assert a.strings == b.strings and len(a) == 20
    assert min(len(s) for s in EmbeddedReber(50, min_length=15).strings) >= 15
    assert a[0].dtype == nerve.int64 and a[0].numpy()[0] == INDEX["B"]


def test_encode_pads_and_gives_lengths():
    tokens, lengths = encode(["BTBTXSETE", "BPBPVVEPE", "BTBTSXSETE"])
    assert tokens.shape == (3, 10) and lengths.numpy().tolist() == [9, 9, 10]
    assert np.all(tokens.numpy()[0, 9:] == 0)


def test_reber_string_is_plain_reber():
    s = reber_string(np.random.default_rng(0))
    assert s[0] == "B" and s[-1] == "E" and s[1] in "TP"
