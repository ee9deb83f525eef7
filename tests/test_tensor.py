import operator

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import nerve


def test_properties():
    x = nerve.zeros(2, 3)
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert x.dtype == nerve.float32 and x.T.shape == (3, 2)
    assert repr(x.shape) == "nerve.Size([2, 3])" and isinstance(x.shape, tuple)
    assert isinstance(x.numpy(), np.ndarray)
    assert x.is_floating_point() and not nerve.tensor([1]).is_floating_point()
    with pytest.raises(IndexError, match="out of range"):
        x.size(2)


def test_item_and_conversions():
    assert nerve.tensor([[2.5]]).item() == 2.5 and isinstance(nerve.tensor(3).item(), int)
    with pytest.raises(RuntimeError, match="2 elements"):
        nerve.ones(2).item()
    assert float(nerve.tensor(1.5)) == 1.5 and int(nerve.tensor(4)) == 4
    assert bool(nerve.tensor([1.0])) and not bool(nerve.tensor(0.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(nerve.ones(2))
    assert [1, 2, 3][nerve.tensor(1)] == 2
    assert nerve.tensor([[1, 2]]).tolist() == [[1, 2]]


def test_numpy_of_tensor_requiring_grad_raises():
    x = nerve.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]


def test_dtype_conversions():
    x = nerve.tensor([1.7, -2.2])
    assert x.long().tolist() == [1, -2] and x.long().dtype == nerve.int64
    assert x.double().dtype == nerve.float64 and x.int().dtype == nerve.int32
    assert x.to(nerve.float64).dtype == nerve.float64 and x.to("cpu") is x
    assert x.bool().tolist() == [True, True] and x.float() is x
    assert x.type_as(nerve.tensor([1])).dtype == nerve.int64
    assert x.to(nerve.zeros(1, dtype=nerve.float64)).dtype == nerve.float64


def test_cast_back_propagates_in_the_source_dtype():
    x = nerve.ones(2, requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == nerve.float32 and x.grad.tolist() == [3.0, 3.0]


REPR_CASES = [
    [1e-8, 1.0],
    [1000.5, 1.0],
    [1.5, float("nan"), float("inf")],
    [[1.5, -2.25], [3.0, 4.0]],
    -0.5,
    [0.1, 0.2],
    [-1.0, 0.0, 1.0],
    [],
    [0.001, 0.01],
    3.5,
    2.0,
    [1, -200],
    [True, False],
    7,
    [[True], [True]],
    [1e9, 1.0],
    [123456.7, 1.0],
]


@pytest.mark.parametrize("data", REPR_CASES, ids=str)
def test_repr_like_torch(data):
    assert repr(nerve.tensor(data)) == repr(torch.tensor(data))


def test_repr_extras():
    assert repr(nerve.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"
    assert repr(nerve.ones(2, requires_grad=True) * 2).startswith("tensor([2., 2.], grad_fn=<Mul")
    assert repr(nerve.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(nerve.ones(1, dtype=nerve.float64)) == "tensor([1.], dtype=nerve.float64)"
    assert repr(nerve.ones(1, dtype=nerve.int32)) == "tensor([1], dtype=nerve.int32)"
    long = repr(nerve.arange(5000.0))
    assert "..." in long and len(long) < 200
    assert all(len(line) <= 88 for line in repr(nerve.randn(4, 30)).splitlines())


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_give_bool_without_grad(op):
    a = nerve.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = nerve.tensor([2.0, 2.0, 2.0])
    t = torch.tensor([1.0, 2.0, 3.0])
    out = getattr(a, op)(b)
    assert out.dtype == nerve.bool and not out.requires_grad
    assert out.tolist() == getattr(t, op)(torch.tensor([2.0] * 3)).tolist()
    assert getattr(a, op)(2.0).tolist() == getattr(t, op)(2.0).tolist()


def test_operator_comparisons_and_logic():
    a = nerve.tensor([1, 2, 3])
    assert (a == 2).tolist() == [False, True, False]
    assert ((a > 1) & (a < 3)).tolist() == [False, True, False]
    assert ((a < 2) | (a > 2)).tolist() == [True, False, True]
    assert (~(a > 1)).tolist() == [True, False, False]
    assert nerve.eq(a, nerve.tensor([1, 0, 3])).tolist() == [True, False, True]
    assert nerve.equal(a, nerve.tensor([1, 2, 3])) and not nerve.equal(a, nerve.tensor([1, 2]))
    assert (a // 2).tolist() == [0, 1, 1] and (a % 2).tolist() == [1, 0, 1]


def test_sign_and_friends_have_no_grad():
    x = nerve.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    s = nerve.sign(x)
    assert s.tolist() == [-1.0, 0.0, 1.0] and not s.requires_grad
    assert x.abs().requires_grad


def test_broadcast_error_names_op_and_both_shapes():
    for op in (operator.add, operator.sub, operator.mul, operator.truediv, nerve.maximum):
        with pytest.raises(RuntimeError, match=r"\(3, 4\).*\(2,\)"):
            op(nerve.ones(3, 4), nerve.ones(2))
    with pytest.raises(RuntimeError, match="add"):
        nerve.ones(3, 4) + nerve.ones(2)


def _dtype_operand(kind):
    return {
        "f32": nerve.ones(2),
        "f64": nerve.ones(2, dtype=nerve.float64),
        "i64": nerve.tensor([1, 2]),
        "i32": nerve.tensor([1, 2], dtype=nerve.int32),
        "bool": nerve.tensor([True, False]),
        "f64_0d": nerve.tensor(2.0, dtype=nerve.float64),
        "i64_0d": nerve.tensor(3),
        "float": 2.5,
        "int": 3,
        "pybool": True,
        "np_f64": np.float64(2.0),
    }[kind]


def _torch_operand(v):
    return torch.from_numpy(np.array(v.numpy())) if isinstance(v, nerve.Tensor) else v


KINDS = ["f32", "f64", "i64", "i32", "bool", "f64_0d", "i64_0d", "float", "int", "pybool", "np_f64"]


@pytest.mark.parametrize("left", KINDS[:7])
@pytest.mark.parametrize("right", KINDS)
def test_type_promotion_matches_torch(left, right):
    a, b = _dtype_operand(left), _dtype_operand(right)
    for op in (operator.add, operator.mul, operator.sub):
        if op is operator.sub and "bool" in left + right:
            with pytest.raises(RuntimeError, match="bool"):
                op(a, b)
            continue  # PyTorch refuses subtraction with a bool operand
        expected = op(_torch_operand(a), _torch_operand(b)).numpy().dtype
        assert op(a, b).dtype == expected, (left, right, op)
        assert op(b, a).dtype == expected, (right, left, op)
    with np.errstate(invalid="ignore", divide="ignore"):
        assert (a / b).dtype == (_torch_operand(a) / _torch_operand(b)).numpy().dtype


@pytest.mark.parametrize("fn", ["exp", "log", "sqrt", "sin", "cos"])
def test_float_functions_of_ints_give_float32(fn):
    assert getattr(nerve.tensor([1, 2]), fn)().dtype == nerve.float32


shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3)


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast: start from one shape, drop leading dims and set some to 1."""
    full = draw(shapes)
    other = [1 if draw(st.booleans()) else n for n in full][draw(st.integers(0, len(full))) :]
    return (tuple(full), tuple(other)) if draw(st.booleans()) else (tuple(other), tuple(full))


@settings(max_examples=25, deadline=None)
@given(pair=broadcast_pair(), op=st.sampled_from(["add", "sub", "mul", "div"]))
def test_broadcasting_pairs_against_torch(pair, op):
    g = np.random.default_rng(0)
    a = g.standard_normal(pair[0]).astype(np.float32)
    b = (np.abs(g.standard_normal(pair[1])) + 0.5).astype(np.float32)
    x, y = nerve.tensor(a, requires_grad=True), nerve.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, tout = getattr(x, op)(y), getattr(tx, op)(ty)
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5)
    w = g.standard_normal(tout.shape).astype(np.float32)
    (out * nerve.tensor(w)).sum().backward()
    (tout * torch.from_numpy(w)).sum().backward()
    assert x.grad.shape == pair[0] and y.grad.shape == pair[1]
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_iteration_and_unbind():
    rows = list(nerve.tensor([[1, 2], [3, 4]]))
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4]]
    with pytest.raises(TypeError):
        iter(nerve.tensor(1.0))
    with pytest.raises(TypeError):
        len(nerve.tensor(1.0))


def test_tensors_are_not_pickled():
    import pickle

    with pytest.raises(TypeError, match="nerve.save"):
        pickle.dumps(nerve.ones(2))


def test_clone_is_a_copy_with_gradient():
    x = nerve.ones(2, requires_grad=True)
    c = x.clone()
    assert not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    (c * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_negating_or_subtracting_bools_raises_like_torch():
    m = nerve.tensor([True, False])
    with pytest.raises(RuntimeError, match="bool"):
        _ = -m
    with pytest.raises(RuntimeError, match="bool"):
        _ = m - m
    assert (~m).tolist() == [False, True]


def test_deepcopy_of_tensors_parameters_and_models():
    import copy

    p = nerve.nn.Parameter(nerve.randn(3))
    p.grad = nerve.ones(3)
    q = copy.deepcopy(p)
    assert type(q) is nerve.nn.Parameter and q.requires_grad
    assert np.array_equal(q.detach().numpy(), p.detach().numpy()) and q.grad is not p.grad
    with nerve.no_grad():
        q.mul_(0)
    assert np.all(p.detach().numpy() != 0)
    model = nerve.nn.Linear(2, 2)
    twin = copy.deepcopy(model)
    assert twin.weight is not model.weight
    assert np.array_equal(twin.weight.detach().numpy(), model.weight.detach().numpy())
    state = copy.deepcopy(model.state_dict())
    assert list(state) == ["weight", "bias"]
    with pytest.raises(RuntimeError):
        copy.deepcopy(p * 2)


def test_view_refuses_a_layout_that_needs_a_copy_as_torch_does():
    import torch

    for lib in (nerve, torch):
        x = lib.arange(12.0).reshape(3, 4)
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            x.t().view(12)
        flat = x.t().contiguous().view(12)
        assert flat.tolist() == [0.0, 4.0, 8.0, 1.0, 5.0, 9.0, 2.0, 6.0, 10.0, 3.0, 7.0, 11.0]
        v = x.view(4, 3)
        v[0, 0] = 100.0  # a view shares memory
        assert x[0, 0].item() == 100.0
        assert x.t().contiguous().is_contiguous() and not x.t().is_contiguous()
