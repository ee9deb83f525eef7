"""Text corpora, the character vocabulary and next-character windows."""

import math
import string

import numpy as np
import pytest

import nerve
from nerve.data import DataLoader
from nerve.data.datasets import (
    CharDataset,
    CharVocab,
    DataFileError,
    DatasetNotFoundError,
    char_datasets,
    pydoc_corpus,
    split_text,
    text_corpus,
    unigram_perplexity,
)


@pytest.fixture(scope="module")
def corpus():
    return pydoc_corpus()


def test_pydoc_corpus_properties(corpus):
    # the content varies by Python version: check only what any version satisfies
    assert isinstance(corpus, str) and 300_000 < len(corpus) < 1_000_000
    assert corpus == pydoc_corpus()
    chars = set(corpus)
    assert set(string.ascii_letters + string.digits + " \n.,()") <= chars
    assert 60 <= len(chars) <= 400
    assert corpus.count("\n") > 5_000 and corpus.endswith("\n")
    assert sum(c.isascii() for c in corpus) / len(corpus) > 0.99


def test_text_corpus_file_normalises_bom_and_newlines(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeffcafé\r\nnaïve 🐍\r\n".encode())
    assert text_corpus(path) == "café\nnaïve 🐍\n"
    assert text_corpus(str(path), pattern="*.md") == "café\nnaïve 🐍\n"  # a file is read as is


def test_text_corpus_folder_is_recursive_and_sorted(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("third")
    (tmp_path / "a.txt").write_text("first\n")
    (tmp_path / "b.txt").write_text("second")
    (tmp_path / "notes.md").write_text("markdown")
    # sorted by path components: folder b/ comes before b.txt, as in a tree listing
    assert text_corpus(tmp_path) == "first\nthird\nsecond\n"
    assert text_corpus(tmp_path, pattern="*.md") == "markdown\n"
    with pytest.raises(DatasetNotFoundError, match=r"no \*\.rst files in folder"):
        text_corpus(tmp_path, pattern="*.rst")


def test_text_corpus_errors(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError) as info:
        text_corpus(missing)
    assert str(missing) in str(info.value) and "*.txt" in str(info.value)
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(
        DataFileError,
        match=r"latin1\.txt: not UTF-8 text \(byte 0xe9 at "
        r"offset 3\)",
    ):
        text_corpus(tmp_path)


@pytest.mark.parametrize("n,frac,cut", [(100, 0.1, 90), (7, 0.1, 6), (10, 0.0, 10), (3, 0.5, 1)])
def test_split_text_by_position(n, frac, cut):
    text = "".join(chr(65 + i % 26) for i in range(n))
    train, val = split_text(text, frac)
    assert train == text[:cut] and val == text[cut:]
    assert split_text(text) == split_text(text, 0.1)


@pytest.mark.parametrize("frac", [-0.1, 1.0, 2])
def test_split_text_bad_fraction(frac):
    with pytest.raises(ValueError, match="val_fraction"):
        split_text("abc", frac)


def test_vocab_encode_decode_round_trip(corpus):
    vocab = CharVocab("hello world, ünïcode 🐍")
    assert vocab.chars == sorted(set("hello world, ünïcode 🐍")) and len(vocab) == 14
    ids = vocab.encode("🐍 hello")
    assert ids.dtype == np.int64 and ids.tolist() == [vocab.stoi[c] for c in "🐍 hello"]
    assert vocab.decode(ids) == "🐍 hello" and vocab.decode(nerve.tensor(ids)) == "🐍 hello"
    assert vocab.decode([]) == "" and vocab.encode("").shape == (0,)
    assert vocab.decode(np.int64(vocab.stoi["h"])) == "h"
    big = CharVocab(corpus)
    sample = corpus[:20_000]
    assert big.encode(sample).tolist() == [big.stoi[c] for c in sample]
    assert big.decode(big.encode(corpus)) == corpus


def test_vocab_errors():
    vocab = CharVocab("abc")
    with pytest.raises(ValueError, match=r"2 character\(s\) not in the vocabulary of 3: 'xz'"):
        vocab.encode("abxzz")
    with pytest.raises(ValueError, match="not in the vocabulary"):
        CharVocab().encode("a")
    with pytest.raises(IndexError, match="id 3 out of range for a vocabulary of 3"):
        vocab.decode([0, 3])
    with pytest.raises(IndexError, match="id -1"):
        vocab.decode([-1])
    with pytest.raises(ValueError, match="1-D sequence of integer ids"):
        vocab.decode(np.zeros((2, 2), np.int64))
    with pytest.raises(ValueError, match="integer ids"):
        vocab.decode([0.5])
    with pytest.raises(TypeError, match="expected a str"):
        vocab.encode(b"abc")


def test_vocab_state_dict_through_checkpoint(tmp_path):
    vocab = CharVocab("the quick brown fox é🐍\n")
    state = vocab.state_dict()
    assert state == {"chars": "".join(vocab.chars)} and isinstance(state["chars"], str)
    nerve.save({"vocab": state, "step": 3}, tmp_path / "ckpt.nerve")
    loaded = CharVocab.from_state_dict(nerve.load(tmp_path / "ckpt.nerve")["vocab"])
    assert loaded == vocab and loaded.encode("fox 🐍").tolist() == vocab.encode("fox 🐍").tolist()
    other = CharVocab("xyz")
    other.load_state_dict(state)
    assert other == vocab and other.stoi == vocab.stoi
    for bad in ({"chars": "ba"}, {"chars": "aab"}, {"letters": "ab"}, ["ab"]):
        with pytest.raises(ValueError, match="load_state_dict"):
            CharVocab().load_state_dict(bad)


def test_char_dataset_windows():
    text = "abcdefghijklmnopqrstuvwxyz"
    ds = CharDataset(text, seq_len=5)
    assert len(ds) == 5  # windows start at 0, 5, 10, 15, 20 and need one character more
    x, y = ds[1]
    assert x.dtype == np.int64 and y.dtype == np.int64 and tuple(x.shape) == (5,)
    assert ds.vocab.decode(x) == "fghij" and ds.vocab.decode(y) == "ghijk"
    assert ds.vocab.decode(ds[-1][1]) == "vwxyz"
    overlapping = CharDataset(text, seq_len=5, stride=1)
    assert len(overlapping) == 21 and overlapping.vocab.decode(overlapping[20][1]) == "vwxyz"
    assert overlapping.vocab.decode(overlapping[3][0]) == "defgh"
    with pytest.raises(IndexError, match="index 5 out of range for 5 windows"):
        ds[5]
    with pytest.raises(IndexError):
        ds[-6]
    assert len(CharDataset("abc", seq_len=2)) == 1


def test_char_dataset_loader_matches_samples(corpus):
    ds = CharDataset(corpus[:5000], seq_len=64, stride=37)
    assert len(ds) == (5000 - 65) // 37 + 1
    loader = DataLoader(ds, batch_size=16, shuffle=True)
    seen = 0
    for xb, yb in loader:
        assert xb.dtype == np.int64 and tuple(xb.shape[1:]) == (64,)
        np.testing.assert_array_equal(xb.numpy()[:, 1:], yb.numpy()[:, :-1])
        seen += len(xb)
    assert seen == len(ds)
    order = [3, 0, 7]
    xb, yb = ds._fetch_batch(np.array(order))
    for row, i in enumerate(order):
        np.testing.assert_array_equal(xb.numpy()[row], ds[i][0].numpy())
        np.testing.assert_array_equal(yb.numpy()[row], ds[i][1].numpy())


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(text="abc", seq_len=3), "3 characters is too short for seq_len=3"),
        (dict(text="abcdef", seq_len=0), "seq_len must be a positive int"),
        (dict(text="abcdef", seq_len=2.0), "seq_len"),
        (dict(text="abcdef", seq_len=2, stride=0), "stride must be a positive int"),
        (dict(text=np.arange(5), seq_len=2), "without a vocab"),
        (dict(text=np.array([0, 1, 5]), seq_len=1, vocab=CharVocab("abc")), r"ids in \[0, 3\)"),
    ],
)
def test_char_dataset_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CharDataset(**kwargs)


def test_char_datasets_split_by_position(corpus):
    text = corpus[:20_000] + "Ω"  # a character only the validation part holds
    train, val, vocab = char_datasets(text, seq_len=50)
    assert "Ω" in vocab and train.vocab is vocab and val.vocab is vocab
    assert len(train.ids) == 18_001 and len(val.ids) == 2_000  # 20,001 chars, last 10%
    assert vocab.decode(train.ids) + vocab.decode(val.ids) == text
    assert vocab.decode(val.ids) == text[-len(val.ids) :]
    assert len(train) == (len(train.ids) - 51) // 50 + 1


def test_unigram_perplexity():
    vocab = CharVocab("abcd")
    assert unigram_perplexity("abcd" * 50, "dcba" * 10, vocab) == pytest.approx(4.0)
    train, val = "aaab", "ab"
    p_a, p_b = 4 / 8, 2 / 8  # add-one counts over 4 characters: a 3+1, b 1+1, c 1, d 1
    expected = math.exp(-(math.log(p_a) + math.log(p_b)) / 2)
    assert unigram_perplexity(train, val, vocab) == pytest.approx(expected)
    assert unigram_perplexity("ab", "z") > 0  # unseen in training: finite, vocab from both
    with pytest.raises(ValueError, match="val_text is empty"):
        unigram_perplexity("ab", "")


def test_unigram_baseline_on_the_corpus(corpus):
    train, val = split_text(corpus)
    ppl = unigram_perplexity(train, val)
    assert 10 < ppl < len(set(corpus))  # far better than uniform, far from a real model
