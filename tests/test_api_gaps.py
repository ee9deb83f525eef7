"""The common PyTorch calls added together: reorderings and triangles (composites of
GetItem, IndexSelect, Where), in-place math, functional ``inplace=``, Tensor.new_*."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
import nerve.nn.functional as F

REPEATS = np.array([1, 0, 3], np.int64)


CASES = [
    Case("flip/one", lambda x: x.flip(0), lambda x: x.flip(0), [(3, 4)]),
    Case(
        "flip/two", lambda x: nerve.flip(x, (0, -1)), lambda x: torch.flip(x, (0, -1)), [(2, 3, 4)]
    ),
    Case(
        "flip/lr_ud",
        lambda x: nerve.fliplr(x).flipud(),
        lambda x: torch.fliplr(x).flipud(),
        [(3, 4)],
    ),
    Case("roll/dim", lambda x: x.roll(1, 1), lambda x: x.roll(1, 1), [(3, 4)]),
    Case(
        "roll/negative_multi",
        lambda x: nerve.roll(x, (-1, 5), (0, 1)),
        lambda x: torch.roll(x, (-1, 5), (0, 1)),
        [(3, 4)],
    ),
    Case("roll/flat", lambda x: x.roll(2), lambda x: x.roll(2), [(3, 4)]),
    Case("tril/default", lambda x: x.tril(), lambda x: x.tril(), [(4, 3)]),
    Case(
        "tril/batched_offset", lambda x: nerve.tril(x, -1), lambda x: torch.tril(x, -1), [(2, 3, 4)]
    ),
    Case("triu/default", lambda x: x.triu(), lambda x: x.triu(), [(3, 4)]),
    Case("triu/offset", lambda x: nerve.triu(x, 2), lambda x: torch.triu(x, 2), [(4, 4)]),
    Case("diag/matrix", lambda x: x.diag(), lambda x: x.diag(), [(3, 4)]),
    Case("diag/matrix_offset", lambda x: nerve.diag(x, -1), lambda x: torch.diag(x, -1), [(4, 3)]),
    Case(
        "diagonal/dims", lambda x: x.diagonal(1, 0, 2), lambda x: x.diagonal(1, 0, 2), [(3, 2, 4)]
    ),
    Case("trace", lambda x: x.trace(), lambda x: x.trace(), [(3, 4)]),
    Case(
        "repeat_interleave/int",
        lambda x: x.repeat_interleave(2),
        lambda x: x.repeat_interleave(2),
        [(2, 3)],
    ),
    Case(
        "repeat_interleave/dim",
        lambda x: nerve.repeat_interleave(x, 3, dim=1),
        lambda x: torch.repeat_interleave(x, 3, dim=1),
        [(2, 3)],
    ),
    Case(
        "repeat_interleave/tensor",
        lambda x: x.repeat_interleave(nerve.from_numpy(REPEATS), dim=0),
        lambda x: x.repeat_interleave(torch.from_numpy(REPEATS), dim=0),
        [(3, 2)],
    ),
    Case("clamp_min", lambda x: x.clamp_min(0.1), lambda x: x.clamp_min(0.1), [(3, 4)]),
    Case(
        "clamp_max", lambda x: nerve.clamp_max(x, 0.1), lambda x: torch.clamp_max(x, 0.1), [(3, 4)]
    ),
    Case("clone", nerve.clone, torch.clone, [(3,)]),
]


table_tests(CASES)


def test_repeat_interleave_of_counts_gives_indices():
    got = nerve.repeat_interleave(nerve.from_numpy(REPEATS))
    want = torch.repeat_interleave(torch.from_numpy(REPEATS))
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_shape_errors():
    with pytest.raises(RuntimeError, match="tril"):
        nerve.ones(3).tril()
    with pytest.raises(RuntimeError, match="flip.*duplicates"):
        nerve.ones(2, 2).flip((0, 0))
    with pytest.raises(IndexError):
        nerve.ones(2, 2).flip(2)
    with pytest.raises(RuntimeError, match="roll"):
        nerve.ones(2, 2).roll((1, 1), 0)
    with pytest.raises(RuntimeError, match="diag"):
        nerve.ones(2, 2, 2).diag()


# ----- in-place math ---------------------------------------------------------------------
X = np.array([[0.5, -1.5, 2.0], [3.0, 0.25, -0.75]], np.float32)
POS = np.abs(X) + 0.5
UNARY = [
    "relu",
    "exp",
    "sigmoid",
    "tanh",
    "abs",
    "neg",
    "floor",
    "ceil",
    "sin",
    "cos",
    "square",
    "expm1",
    "erf",
    "sign",
]
POSITIVE = ["log", "sqrt", "log1p"]


@pytest.mark.parametrize("name", UNARY + POSITIVE)
def test_inplace_unary_matches_torch_and_returns_self(name):
    a = POS if name in POSITIVE else X
    x, t = nerve.from_numpy(a.copy()), torch.from_numpy(a.copy())
    out = getattr(x, name + "_")()
    getattr(t, name + "_")()
    assert out is x and x.dtype == nerve.float32
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "call",
    [
        ("pow_", 2.0),
        ("clamp_min_", 0.3),
        ("clamp_max_", 0.3),
        ("atan2_", 0.7),
        ("lerp_", 1.0, 0.25),
    ],
)
def test_inplace_with_arguments_matches_torch(call):
    name, *args = call
    x, t = nerve.from_numpy(X.copy()), torch.from_numpy(X.copy())
    nargs = [
        nerve.full(X.shape, a) if name in ("atan2_", "lerp_") and i == 0 else a
        for i, a in enumerate(args)
    ]
    targs = [
        torch.full(X.shape, a) if name in ("atan2_", "lerp_") and i == 0 else a
        for i, a in enumerate(args)
    ]
    assert getattr(x, name)(*nargs) is x
    getattr(t, name)(*targs)
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6)


def test_inplace_rules():
    leaf = nerve.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="exp_.*leaf"):
        leaf.exp_()
    with nerve.no_grad():
        leaf.exp_()  # an initialiser-style update
    np.testing.assert_allclose(leaf.detach().numpy(), np.e, rtol=1e-6)
    y = leaf * 2  # a non-leaf in a graph: rebound to the result, as in PyTorch
    assert y.relu_() is y and type(y.grad_fn).__name__ == "ReLU"
    ints = nerve.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        ints.exp_()
    assert ints.floor_() is ints


# ----- functional inplace= ---------------------------------------------------------------
ACTIVATIONS = [
    ("relu", {}),
    ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {}),
    ("selu", {}),
    ("silu", {}),
    ("mish", {}),
    ("hardtanh", {}),
    ("relu6", {}),
    ("rrelu", {}),
]


@pytest.mark.parametrize("name,kw", ACTIVATIONS)
def test_functional_inplace_writes_into_a_tensor_outside_the_graph(name, kw):
    x, t = nerve.from_numpy(X.copy() * 4), torch.from_numpy(X.copy() * 4)
    y = getattr(F, name)(x, inplace=True, **kw)
    getattr(TF, name)(t, inplace=True, **kw)
    assert y is x
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,kw", ACTIVATIONS)
def test_functional_inplace_in_a_graph_rebinds_a_non_leaf_and_refuses_a_leaf(name, kw):
    x = nerve.from_numpy(X.copy()).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(F, name)(x, inplace=True, **kw)
    h = x * 1
    y = getattr(F, name)(h, inplace=True, **kw)
    assert y is h
    np.testing.assert_array_equal(x.detach().numpy(), X)
    y.sum().backward()
    t = torch.from_numpy(X.copy()).requires_grad_()
    getattr(TF, name)(t.clone(), inplace=True, **kw).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_functional_inplace_default_is_out_of_place():
    x = nerve.from_numpy(X.copy())
    assert F.relu(x) is not x
    np.testing.assert_array_equal(x.numpy(), X)
    assert F.dropout(x, 0.5, training=True, inplace=True).shape == x.shape


# ----- Tensor.new_* ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [nerve.float64, nerve.int64])
def test_new_tensors_take_self_dtype_unless_given(dtype):
    x = nerve.ones(2, dtype=dtype)
    tx = torch.ones(2, dtype={nerve.float64: torch.float64, nerve.int64: torch.int64}[dtype])
    for n, t in (
        (x.new_zeros(2, 3), tx.new_zeros(2, 3)),
        (x.new_ones((3,)), tx.new_ones((3,))),
        (x.new_full((2,), 7), tx.new_full((2,), 7)),
        (x.new_tensor([1, 2]), tx.new_tensor([1, 2])),
    ):
        assert n.dtype == dtype and tuple(n.shape) == tuple(t.shape)
        np.testing.assert_array_equal(n.numpy(), t.numpy())
    assert x.new_empty(4).shape == (4,)
    assert x.new_zeros(2, dtype=nerve.float32).dtype == nerve.float32
    y = nerve.ones(2).new_zeros(3, requires_grad=True)
    assert y.requires_grad and y.is_leaf


def test_new_tensor_copies():
    a = np.ones(3, np.float32)
    n = nerve.ones(1).new_tensor(a)
    a[0] = 5
    assert n[0].item() == 1.0


def test_top_level_names_exist():
    for name in (
        "cumsum",
        "cumprod",
        "sort",
        "argsort",
        "topk",
        "kthvalue",
        "flip",
        "roll",
        "tril",
        "triu",
        "einsum",
        "diag",
        "trace",
        "log1p",
        "expm1",
        "erf",
        "atan2",
        "lerp",
        "isclose",
        "clone",
        "numel",
        "zeros_like",
        "scatter",
        "scatter_add",
        "index_add",
        "masked_select",
        "repeat_interleave",
        "norm",
    ):
        assert callable(getattr(nerve, name)), name
    for name in ("vector_norm", "matrix_norm", "norm"):
        assert callable(getattr(nerve.linalg, name))
    for name in ("one_hot", "normalize", "cosine_similarity", "pairwise_distance"):
        assert callable(getattr(F, name))


@pytest.mark.parametrize(
    "name,args",
    [
        ("relu_", ()),
        ("leaky_relu_", (0.2,)),
        ("elu_", ()),
        ("hardtanh_", (-0.5, 0.5)),
        ("rrelu_", ()),
    ],
)
def test_functional_underscore_activations_match_torch(name, args):
    x, t = nerve.from_numpy(X.copy()), torch.from_numpy(X.copy())
    assert getattr(F, name)(x, *args) is x
    getattr(TF, name)(t, *args)
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6)
