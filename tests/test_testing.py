"""nerve.testing.assert_close and make_tensor against torch.testing."""

import math

import numpy as np
import pytest
import torch
import torch.testing as tt

import nerve
from nerve.testing import assert_close, make_tensor


def _to_torch(x):
    if isinstance(x, nerve.Tensor):
        return torch.from_numpy(x.numpy().copy())
    if isinstance(x, list | tuple):
        return type(x)(_to_torch(v) for v in x)
    if isinstance(x, dict):
        return {k: _to_torch(v) for k, v in x.items()}
    return x


def _messages(actual, expected, **kw):
    with pytest.raises(AssertionError) as t:
        tt.assert_close(_to_torch(actual), _to_torch(expected), **kw)
    with pytest.raises(AssertionError) as n:
        assert_close(actual, expected, **kw)
    return str(n.value), str(t.value)


def _t(values, dtype=nerve.float32):
    return nerve.tensor(values, dtype=dtype)


SAME_MESSAGE = [
    (_t([1.0, 2.0, 3.0]), _t([1.0, 2.5, 3.1]), {}),
    (_t([[1.0, 2.0], [3, 4]]), _t([[1.0, 2.0], [3, 5]]), {}),
    (_t([1.0, 2.0], nerve.float64), _t([1.0, 2.5], nerve.float64), {}),
    (_t([1, 2], nerve.int64), _t([1, 4], nerve.int64), {}),  # 2/4: exact in float32 too
    (_t([1.0, 0.0]), _t([2.0, 0.0]), {}),
    (_t([1.0, 2.0]), _t([1.1, 2.0]), {"rtol": 0.01, "atol": 0.0}),
    (1.0, 1.1, {}),
    (1, 2, {}),
    ([1.0, 2.0], [1.0, 2.1], {}),
    ({"a": 1.0}, {"a": 2.0}, {}),
    (_t(1.0), _t(2.0), {}),
]


@pytest.mark.parametrize("actual, expected, kw", SAME_MESSAGE)
def test_message_matches_torch(actual, expected, kw):
    ours, theirs = _messages(actual, expected, **kw)
    theirs = theirs.replace("torch.", "nerve.")
    assert ours == theirs


def test_int_relative_difference_is_exact():
    ours, theirs = _messages(_t([1, 2], nerve.int64), _t([1, 3], nerve.int64))
    assert "Greatest absolute difference: 1 at index (1,)" in ours
    assert "Tensor-likes are not equal!" in ours
    assert "0.333333" in ours and "0.333333" in theirs


@pytest.mark.parametrize(
    "actual, expected",
    [
        (_t([1.0, 2.0]), _t([1.0, 2.0], nerve.float64)),
        (_t([1.0, 2.0]), _t([1.0, 2.0, 3.0])),
        ([1.0, 2.0], [1.0, 2.0, 3.0]),
        (1, 1.0),
    ],
)
def test_structure_messages_match_torch(actual, expected):
    ours, theirs = _messages(actual, expected)
    assert ours == theirs.replace("torch.", "nerve.")


def test_default_tolerances_per_dtype():
    assert_close(_t([1.0]), _t([1.0 + 1e-6]))  # inside float32's 1.3e-6 · 1 + 1e-5
    with pytest.raises(AssertionError):
        assert_close(_t([1.0], nerve.float64), _t([1.0 + 1e-6], nerve.float64))
    assert_close(_t([1.0], nerve.float64), _t([1.0 + 1e-8], nerve.float64))
    with pytest.raises(AssertionError, match="not equal"):
        assert_close(_t([5], nerve.int32), _t([6], nerve.int32))
    assert_close(_t([1.0], nerve.float16), _t([1.0009765625], nerve.float16))


def test_check_dtype_off_uses_the_looser_tolerance():
    assert_close(_t([1.0]), _t([1.0 + 5e-6], nerve.float64), check_dtype=False)
    tt.assert_close(
        torch.tensor([1.0]), torch.tensor([1.0 + 5e-6], dtype=torch.float64), check_dtype=False
    )


def test_nan_and_inf():
    nan, inf = math.nan, math.inf
    with pytest.raises(AssertionError, match="Greatest absolute difference: nan"):
        assert_close(_t([nan]), _t([nan]))
    assert_close(_t([nan, 1.0]), _t([nan, 1.0]), equal_nan=True)
    assert_close(_t([inf, -inf]), _t([inf, -inf]))
    with pytest.raises(AssertionError):
        assert_close(_t([inf]), _t([-inf]))
    assert_close(nan, nan, equal_nan=True)


def test_accepts_arrays_numbers_sequences_and_mixes():
    assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    assert_close(_t([1.0, 2.0], nerve.float64), np.array([1.0, 2.0]))
    assert_close([1, [2.0, 3.0]], [1, [2.0, 3.0]])
    assert_close((_t([1.0]), {"x": 2}), (_t([1.0]), {"x": 2}))
    with pytest.raises(AssertionError, match=r"item \[1\]\[0\]"):
        assert_close([1, [2.0, 3.0]], [1, [2.5, 3.0]])
    with pytest.raises(TypeError, match="No comparison pair"):
        assert_close(_t([1.0]), "a")


def test_requires_grad_tensors_compare():
    x = nerve.ones(3, requires_grad=True)
    assert_close(x * 2, _t([2.0, 2.0, 2.0]))


def test_msg_and_tolerance_arguments():
    with pytest.raises(AssertionError, match="^custom$"):
        assert_close(_t([1.0]), _t([2.0]), msg="custom")
    with pytest.raises(AssertionError, match="^wrapped: Tensor-likes"):
        assert_close(_t([1.0, 2.0]), _t([2.0, 2.0]), msg=lambda m: "wrapped: " + m)
    with pytest.raises(ValueError, match="no atol"):
        assert_close(_t([1.0]), _t([1.0]), rtol=1e-3)
    with pytest.raises(ValueError, match="no atol"):
        tt.assert_close(torch.tensor([1.0]), torch.tensor([1.0]), rtol=1e-3)


# ----- make_tensor ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "dtype, lo, hi",
    [
        (nerve.float32, -9, 9),
        (nerve.float64, -9, 9),
        (nerve.int64, -9, 9),
        (nerve.uint8, 0, 9),
        (nerve.int8, -9, 9),
    ],
)
def test_make_tensor_default_ranges(dtype, lo, hi):
    x = make_tensor(20000, dtype=dtype).numpy()
    t = tt.make_tensor(20000, dtype=getattr(torch, np.dtype(dtype).name), device="cpu").numpy()
    assert x.dtype == np.dtype(dtype) == t.dtype
    assert x.min() >= lo and x.max() <= hi
    assert abs(x.min() - t.min()) < 0.05 and abs(x.max() - t.max()) < 0.05
    if x.dtype.kind == "f":
        assert abs(x.mean()) < 0.15 and abs(x.std() - 18 / math.sqrt(12)) < 0.1


def test_make_tensor_shapes_bounds_and_grad():
    assert make_tensor(2, 3, dtype=nerve.float32).shape == (2, 3)
    assert make_tensor((2, 3), dtype=nerve.float32).shape == (2, 3)
    assert make_tensor([4], dtype=nerve.float32).shape == (4,)
    assert make_tensor((), dtype=nerve.float32).shape == ()
    x = make_tensor(1000, dtype=nerve.int64, low=1.5, high=3.5)
    assert set(x.tolist()) == {2, 3}
    x = make_tensor(3, dtype=nerve.float64, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    b = make_tensor(1000, dtype=nerve.bool).numpy()
    assert b.dtype == np.bool_ and 0.4 < b.mean() < 0.6
    assert (make_tensor(100, dtype=nerve.uint8, low=-5).numpy() >= 0).all()
    assert (
        make_tensor(100, dtype=nerve.int64, low=0, high=2, exclude_zero=True).numpy() == 1
    ).all()
    assert make_tensor(3, dtype=nerve.float32, low=1, high=1).tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "kw",
    [
        {"low": 2, "high": 1},
        {"low": math.nan},
        {"low": 1, "high": 1, "dtype_int": True},
        {"requires_grad": True, "dtype_int": True},
    ],
)
def test_make_tensor_errors_match_torch(kw):
    kw = dict(kw)
    is_int = kw.pop("dtype_int", False)
    with pytest.raises(ValueError) as t:
        tt.make_tensor(3, dtype=torch.int64 if is_int else torch.float32, device="cpu", **kw)
    with pytest.raises(ValueError) as n:
        make_tensor(3, dtype=nerve.int64 if is_int else nerve.float32, **kw)
    assert str(n.value) == str(t.value).replace("torch.", "nerve.")
