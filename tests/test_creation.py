import numpy as np
import pytest
import torch

import nerve


@pytest.mark.parametrize(
    "data",
    [
        [1, 2],
        [1.0],
        [True, False],
        3,
        2.5,
        [[1, 2], [3, 4]],
        [1, 2.5],
        np.ones(2),
        np.ones(2, np.float32),
        np.arange(3, dtype=np.int32),
        np.float64(1.5),
        [],
    ],
)
def test_tensor_dtype_follows_torch(data):
    assert nerve.tensor(data).dtype == torch.tensor(data).numpy().dtype
    assert nerve.tensor(data).shape == tuple(torch.tensor(data).shape)


def test_tensor_copies_and_as_tensor_shares():
    a = np.zeros(3, np.float32)
    t, s = nerve.tensor(a), nerve.as_tensor(a)
    a[0] = 7
    assert t.tolist()[0] == 0 and s.tolist()[0] == 7
    assert nerve.from_numpy(a).numpy() is a
    assert nerve.as_tensor([1, 2]).dtype == nerve.int64
    assert nerve.as_tensor(a, dtype=nerve.float64).dtype == nerve.float64


def test_tensor_dtype_and_requires_grad_arguments():
    t = nerve.tensor([1, 2], dtype=nerve.float64, requires_grad=True)
    assert t.dtype == nerve.float64 and t.requires_grad and t.is_leaf
    assert nerve.tensor([1.5], dtype=nerve.int64).dtype == nerve.int64
    assert nerve.tensor([nerve.tensor(1.0), nerve.tensor(2.0)]).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
def test_filled_constructors(fn):
    for args in [(2, 3), ((2, 3),), ([2, 3],)]:
        t = getattr(nerve, fn)(*args)
        assert t.shape == (2, 3) and t.dtype == nerve.float32
    assert getattr(nerve, fn)(2, dtype=nerve.float64).dtype == nerve.float64
    assert getattr(nerve, fn)(()).shape == ()
    assert getattr(nerve, fn)(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="negative"):
        getattr(nerve, fn)(-1)


def test_zeros_ones_values():
    assert nerve.zeros(2).tolist() == [0.0, 0.0] and nerve.ones(2).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("value", [3, 2.5, True])
def test_full_dtype_from_fill_value(value):
    assert nerve.full((2,), value).dtype == torch.full((2,), value).numpy().dtype
    assert nerve.full((2, 1), value).tolist() == torch.full((2, 1), value).tolist()


@pytest.mark.parametrize(
    "args", [(5,), (1, 4), (0, 1, 0.1), (2.0, 5.0), (5, 1, -2), (np.int64(3),), (0, 1, 0.3)]
)
def test_arange_matches_torch(args):
    ours, theirs = nerve.arange(*args), torch.arange(*args)
    assert ours.dtype == theirs.numpy().dtype
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_arange_zero_step_raises():
    with pytest.raises(RuntimeError, match="step"):
        nerve.arange(0, 5, 0)


def test_linspace_and_eye_match_torch():
    np.testing.assert_allclose(nerve.linspace(-1, 1, 5).numpy(), torch.linspace(-1, 1, 5).numpy())
    assert nerve.linspace(0, 1, 3).dtype == nerve.float32
    assert nerve.linspace(0, 1, 3, dtype=nerve.float64).dtype == nerve.float64
    assert nerve.eye(3).tolist() == torch.eye(3).tolist()
    assert nerve.eye(2, 3).tolist() == torch.eye(2, 3).tolist()
    assert nerve.eye(2).dtype == nerve.float32


def test_random_draws_have_right_shape_dtype_and_range():
    r = nerve.rand(1000)
    assert r.dtype == nerve.float32 and 0 <= r.numpy().min() and r.numpy().max() < 1
    n = nerve.randn(2, 3)
    assert n.shape == (2, 3) and n.dtype == nerve.float32
    assert nerve.randn(4000).numpy().std() == pytest.approx(1, abs=0.1)
    assert nerve.rand(2, dtype=nerve.float64).dtype == nerve.float64
    i = nerve.randint(3, 7, (500,))
    assert i.dtype == nerve.int64 and set(i.tolist()) == {3, 4, 5, 6}
    assert nerve.randint(4, (2, 2)).shape == (2, 2)
    assert nerve.randint(0, 4, size=(3,)).numpy().max() < 4
    assert sorted(nerve.randperm(5).tolist()) == [0, 1, 2, 3, 4]


def test_randint_bad_range_raises():
    with pytest.raises(RuntimeError, match="low"):
        nerve.randint(5, 5, (2,))


def _draws():
    x = nerve.empty(3)
    x.normal_()
    return [
        nerve.rand(3).tolist(),
        nerve.randn(2, 2).tolist(),
        nerve.randint(0, 100, (4,)).tolist(),
        nerve.randperm(6).tolist(),
        x.tolist(),
        nerve.rand_like(nerve.zeros(2)).tolist(),
    ]


def test_manual_seed_makes_every_draw_reproducible():
    nerve.manual_seed(123)
    first = _draws()
    nerve.manual_seed(123)
    assert _draws() == first
    nerve.manual_seed(124)
    assert _draws() != first


def test_generator_is_independent_of_global_state():
    g = nerve.Generator().manual_seed(5)
    a = nerve.rand(3, generator=g).tolist()
    nerve.rand(10)  # the global stream moves on; g does not care
    g.manual_seed(5)
    assert nerve.rand(3, generator=g).tolist() == a


def test_rng_state_round_trip():
    state = nerve.get_rng_state()
    a = nerve.randn(3).tolist()
    nerve.set_rng_state(state)
    assert nerve.randn(3).tolist() == a


def test_like_constructors_keep_shape_and_dtype():
    x = nerve.zeros(2, 3, dtype=nerve.float64)
    for fn in (
        nerve.zeros_like,
        nerve.ones_like,
        nerve.empty_like,
        nerve.rand_like,
        nerve.randn_like,
    ):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == nerve.float64
    assert nerve.ones_like(x).tolist() == [[1.0] * 3] * 2
    i = nerve.tensor([1, 2])
    assert nerve.zeros_like(i).dtype == nerve.int64
    assert nerve.full_like(x, 7).tolist() == [[7.0] * 3] * 2
    assert nerve.full_like(x, 7).dtype == nerve.float64
    assert nerve.zeros_like(x, dtype=nerve.float32).dtype == nerve.float32
    r = nerve.randint_like(x, 5)
    assert r.dtype == nerve.float64 and r.numpy().max() < 5


def test_default_dtype_switch():
    nerve.set_default_dtype(nerve.float64)
    try:
        assert nerve.zeros(1).dtype == nerve.float64 and nerve.tensor([1.0]).dtype == nerve.float64
    finally:
        nerve.set_default_dtype(nerve.float32)
    assert nerve.get_default_dtype() == nerve.float32
    with pytest.raises(TypeError):
        nerve.set_default_dtype(nerve.int64)


def test_device_argument():
    assert nerve.zeros(2, device="cpu").device == "cpu"
    with pytest.raises(RuntimeError, match="cuda"):
        nerve.zeros(2, device="cuda")


def test_multinomial_frequencies_and_no_repeats():
    p = nerve.tensor([[0.1, 0.0, 0.6, 0.3], [1.0, 1.0, 1.0, 1.0]])
    s = nerve.multinomial(p, 4000, replacement=True)
    assert s.shape == (2, 4000) and s.dtype == nerve.int64
    freq = np.bincount(s.numpy()[0], minlength=4) / 4000
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.6, 0.3], atol=0.03)
    draws = nerve.multinomial(p[1:].expand(500, 4), 4).numpy()
    assert (np.sort(draws, axis=1) == np.arange(4)).all()  # a permutation in every row
    first = np.bincount(nerve.multinomial(p[:1].expand(4000, 4), 1).numpy()[:, 0], minlength=4)
    np.testing.assert_allclose(first / 4000, [0.1, 0.0, 0.6, 0.3], atol=0.03)
    with pytest.raises(RuntimeError, match="without replacement"):
        nerve.multinomial(p, 5)
    with pytest.raises(RuntimeError, match="non-negative"):
        nerve.multinomial(nerve.tensor([-1.0, 2.0]), 1)


def test_bernoulli_and_normal():
    b = nerve.bernoulli(nerve.full((4000,), 0.3))
    assert b.dtype == nerve.float32 and set(b.tolist()) <= {0.0, 1.0}
    assert b.numpy().mean() == pytest.approx(0.3, abs=0.03)
    n = nerve.normal(2.0, 0.5, size=(4000,))
    assert n.numpy().mean() == pytest.approx(2.0, abs=0.05) and n.dtype == nerve.float32


def test_float_draws_refuse_integer_dtypes():
    with pytest.raises(NotImplementedError, match="randn"):
        nerve.randn(2, dtype=nerve.int64)
    with pytest.raises(NotImplementedError, match="rand"):
        nerve.rand(2, dtype=nerve.int64)


def test_python_floats_with_a_dtype_convert_without_float32_rounding():
    import torch

    for dtype, tdtype in ((nerve.float64, torch.float64), (nerve.float32, torch.float32)):
        ours = nerve.tensor([0.3, 1e-50, 3.0000001], dtype=dtype).numpy()
        theirs = torch.tensor([0.3, 1e-50, 3.0000001], dtype=tdtype).numpy()
        np.testing.assert_array_equal(ours, theirs)
        assert ours.dtype == theirs.dtype
    assert nerve.tensor(0.1, dtype=nerve.float64).item() == 0.1
    assert nerve.tensor([0.1]).dtype == nerve.float32  # the default is unchanged
