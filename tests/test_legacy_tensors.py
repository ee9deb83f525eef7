"""nerve.LongTensor, FloatTensor ...: PyTorch's legacy constructors, checked against torch."""

import numpy as np
import pytest

import nerve

torch = pytest.importorskip("torch")

NAMES = [
    "FloatTensor",
    "DoubleTensor",
    "LongTensor",
    "IntTensor",
    "BoolTensor",
    "ByteTensor",
    "ShortTensor",
    "CharTensor",
    "HalfTensor",
]


@pytest.mark.parametrize("name", NAMES)
def test_from_data_and_sizes(name):
    ours, theirs = getattr(nerve, name), getattr(torch, name)
    a, b = ours([1, 0, 2]), theirs([1, 0, 2])
    assert str(a.dtype) == str(b.dtype).replace("torch.", "")
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert tuple(ours(2, 3).shape) == tuple(theirs(2, 3).shape) == (2, 3)
    assert tuple(ours().shape) == tuple(theirs().shape) == (0,)
    assert isinstance(a, ours) and isinstance(b, theirs)
    other = "LongTensor" if name != "LongTensor" else "FloatTensor"
    assert not isinstance(a, getattr(nerve, other)) and not isinstance(b, getattr(torch, other))


def test_refusals_like_torch():
    for lib in (torch, nerve):
        with pytest.raises(TypeError):
            lib.FloatTensor(2, 3.0)
        with pytest.raises(TypeError):
            lib.LongTensor("a")
        with pytest.raises(TypeError):
            lib.FloatTensor(lib.tensor([1, 2]))
    x = nerve.ones(2)
    assert nerve.FloatTensor(x) is x
    assert nerve.LongTensor([1.7]).tolist() == torch.LongTensor([1.7]).tolist() == [1]
    assert nerve.typename(nerve.ones(2)) == "nerve.FloatTensor"
