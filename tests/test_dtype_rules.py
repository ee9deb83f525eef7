"""Where PyTorch refuses mixed dtypes (products) or integer input (softmax), nerve does
too, with the same exception type; elementwise ops keep promoting, as PyTorch's do."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import nerve
import nerve.nn.functional as F

F32, F64, I64 = (
    (nerve.float32, torch.float32),
    (nerve.float64, torch.float64),
    (nerve.int64, torch.int64),
)


def _pair(shape, dt):
    a = np.arange(int(np.prod(shape))).reshape(shape) % 5
    return nerve.tensor(a, dtype=dt[0]), torch.tensor(a, dtype=dt[1])


def _raises_like_torch(call, match, *args):
    """Both libraries raise the same exception type; nerve's message names the op."""
    with pytest.raises(Exception) as terr:
        call(torch, TF, *[a[1] for a in args])
    with pytest.raises(type(terr.value), match=match):
        call(nerve, F, *[a[0] for a in args])


PRODUCTS = [
    ("matmul", lambda m, f, a, b: a @ b, (2, 3), (3, 2)),
    ("matmul", lambda m, f, a, b: m.matmul(a, b), (4, 2, 3), (3,)),
    ("mm", lambda m, f, a, b: m.mm(a, b), (2, 3), (3, 2)),
    ("bmm", lambda m, f, a, b: m.bmm(a, b), (2, 2, 3), (2, 3, 2)),
    ("dot", lambda m, f, a, b: m.dot(a, b), (3,), (3,)),
    ("linear", lambda m, f, a, b: f.linear(a, b), (2, 3), (4, 3)),
]


@pytest.mark.parametrize("op,call,sa,sb", PRODUCTS, ids=[p[0] for p in PRODUCTS])
@pytest.mark.parametrize("da,db", [(F32, F64), (F64, F32), (I64, F32)], ids=str)
def test_products_refuse_mixed_dtypes(op, call, sa, sb, da, db):
    _raises_like_torch(call, f"{op}.*same dtype.*!=", _pair(sa, da), _pair(sb, db))


def test_message_names_torch_type_names():
    with pytest.raises(RuntimeError, match="float != double"):
        nerve.ones(2, 3) @ nerve.ones(3, dtype=nerve.float64)
    with pytest.raises(RuntimeError, match="long int != float"):
        nerve.tensor([1, 2]) @ nerve.ones(2)


def test_linear_refuses_a_bias_of_another_dtype():
    _raises_like_torch(
        lambda m, f, x, w, b: f.linear(x, w, b),
        "linear.*bias",
        _pair((2, 3), F32),
        _pair((4, 3), F32),
        _pair((4,), F64),
    )


@pytest.mark.parametrize("fn", ["conv1d", "conv2d"])
def test_conv_refuses_mixed_dtypes(fn):
    shape = {"conv1d": ((1, 2, 5), (3, 2, 2)), "conv2d": ((1, 2, 5, 5), (3, 2, 2, 2))}[fn]
    _raises_like_torch(
        lambda m, f, x, w: getattr(f, fn)(x, w), fn, _pair(shape[0], F32), _pair(shape[1], F64)
    )


def test_same_dtype_products_still_work_and_elementwise_ops_promote():
    a64 = nerve.ones(2, 3, dtype=nerve.float64)
    assert (a64 @ a64.T).dtype == nerve.float64
    for a, b in [
        (nerve.ones(3), nerve.ones(3, dtype=nerve.float64)),
        (nerve.tensor([1, 2, 3]), nerve.ones(3)),
    ]:
        ta, tb = torch.from_numpy(a.numpy()), torch.from_numpy(b.numpy())
        for f in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x - y):
            assert str(f(a, b).dtype) == str(f(ta, tb).dtype).removeprefix("torch.")
    assert nerve.outer(nerve.ones(2), nerve.ones(2, dtype=nerve.float64)).dtype == nerve.float64


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dt", [I64, (nerve.bool, torch.bool)], ids=["int64", "bool"])
def test_softmax_of_integers_is_not_implemented_like_torch(name, dt):
    _raises_like_torch(lambda m, f, x: getattr(f, name)(x, 0), name, _pair((3,), dt))
    _raises_like_torch(lambda m, f, x: getattr(x, name)(0), name, _pair((3,), dt))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_dtype_argument_casts_first(name):
    xi, ti = _pair((2, 3), I64)
    for dt in (F32, F64):
        y, yt = getattr(F, name)(xi, 1, dtype=dt[0]), getattr(TF, name)(ti, 1, dtype=dt[1])
        assert y.dtype == dt[0]
        np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-6)
    xf, tf = _pair((2, 3), F32)
    _raises_like_torch(
        lambda m, f, x: getattr(f, name)(x, 1, dtype=I64[m is torch]), name, (xf, tf)
    )
    assert isinstance(NotImplementedError(), RuntimeError)  # so `except RuntimeError` works
