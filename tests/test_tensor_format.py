"""Tensor.__format__ as PyTorch's: a 0-d tensor formats as its number, others only with an
empty spec (their repr)."""

import pytest

import nerve

torch = pytest.importorskip("torch")

CASES = [
    (65.0, "float32", ""),
    (65.0, "float32", ".4f"),
    (1 / 3, "float32", ""),
    (1 / 3, "float64", ".3e"),
    (3, "int64", "5"),
    (3, "int64", "d"),
    (True, "bool", ""),
    (-2.5, "float32", "+.1f"),
    (1e-9, "float32", ""),
]


@pytest.mark.parametrize("value, dtype, spec", CASES)
def test_zero_dim_formats_like_torch(value, dtype, spec):
    ours = nerve.tensor(value, dtype=getattr(nerve, dtype))
    theirs = torch.tensor(value, dtype=getattr(torch, dtype))
    assert format(ours, spec) == format(theirs, spec)


def test_graph_result_and_fstring():
    w = nerve.tensor(1.5, requires_grad=True)
    tw = torch.tensor(1.5, requires_grad=True)
    assert f"{w * 2}" == f"{tw * 2}" == "3.0"
    assert f"loss {w * 2:.4f}" == "loss 3.0000"


def test_other_shapes():
    x = nerve.ones(2)
    assert f"{x}" == repr(x) == "tensor([1., 1.])" == f"{torch.ones(2)}"
    for t in (x, torch.ones(2)):
        with pytest.raises(TypeError, match="unsupported format string passed to Tensor"):
            format(t, ".4f")
