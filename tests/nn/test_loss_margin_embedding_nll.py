"""The added loss layers and distance layers against their torch.nn twins: outputs and
gradients of every float input, defaults, reprs, buffers and constructor errors."""

import warnings

import numpy as np
import pytest
import torch

import nerve
import nerve.nn as nn

rng = np.random.default_rng(0)
C = 5
W = rng.uniform(0.5, 2.0, C).astype(np.float32)


def randn(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def signs(*shape):
    return np.where(rng.standard_normal(shape) > 0, 1.0, -1.0).astype(np.float32)


def pos(*shape):
    return rng.uniform(0.3, 2.0, shape).astype(np.float32)


LABELS = np.array([0, 3, 4, 1, 2, 2])
MULTI = np.array([[3, 0, -1, 1, 2], [1, 1, 4, -1, 0], [-1, 2, 2, 2, 2], [0, 1, 2, 3, 4]])

# (name, kwargs with numpy weights, inputs; float inputs get gradients, integer ones do not)
MODULES = [
    ("MarginRankingLoss", {}, [randn(6), randn(6), signs(6)]),
    ("MarginRankingLoss", {"margin": 0.5, "reduction": "none"}, [randn(6), randn(6), signs(6)]),
    ("HingeEmbeddingLoss", {}, [randn(3, 4), signs(3, 4)]),
    ("HingeEmbeddingLoss", {"margin": 0.2, "reduction": "sum"}, [randn(3, 4), signs(4)]),
    ("CosineEmbeddingLoss", {}, [randn(4, 6), randn(4, 6), signs(4)]),
    (
        "CosineEmbeddingLoss",
        {"margin": -0.3, "reduction": "none"},
        [randn(4, 6), randn(4, 6), signs(4)],
    ),
    ("MultiMarginLoss", {}, [randn(6, C), LABELS]),
    (
        "MultiMarginLoss",
        {"p": 2, "margin": 0.5, "weight": W, "reduction": "none"},
        [randn(6, C), LABELS],
    ),
    ("MultiMarginLoss", {"weight": W, "reduction": "sum"}, [randn(C), np.array(3)]),
    ("MultiLabelMarginLoss", {}, [randn(4, C), MULTI]),
    ("MultiLabelMarginLoss", {"reduction": "none"}, [randn(4, C), MULTI]),
    ("MultiLabelSoftMarginLoss", {}, [randn(4, C), pos(4, C) / 2]),
    ("MultiLabelSoftMarginLoss", {"weight": W, "reduction": "none"}, [randn(4, C), pos(4, C) / 2]),
    ("PoissonNLLLoss", {}, [randn(3, 4), pos(3, 4) * 3]),
    (
        "PoissonNLLLoss",
        {"log_input": False, "full": True, "eps": 1e-4, "reduction": "sum"},
        [pos(3, 4), pos(3, 4) * 3],
    ),
    ("GaussianNLLLoss", {}, [randn(3, 4), randn(3, 4), pos(3, 4)]),
    (
        "GaussianNLLLoss",
        {"full": True, "eps": 1e-3, "reduction": "none"},
        [randn(3, 4), randn(3, 4), pos(3, 1)],
    ),
    ("GaussianNLLLoss", {"reduction": "sum"}, [randn(3, 4), randn(3, 4), pos(3)]),
    ("TripletMarginLoss", {}, [randn(4, 6), randn(4, 6), randn(4, 6)]),
    (
        "TripletMarginLoss",
        {"margin": 2.0, "p": 1.0, "swap": True, "reduction": "none"},
        [randn(4, 6), randn(4, 6), randn(4, 6)],
    ),
    ("CosineSimilarity", {}, [randn(4, 6), randn(4, 6)]),
    ("CosineSimilarity", {"dim": 0, "eps": 1e-3}, [randn(4, 6), randn(1, 6)]),
    ("PairwiseDistance", {}, [randn(4, 6), randn(4, 6)]),
    ("PairwiseDistance", {"p": 3.0, "eps": 1e-3, "keepdim": True}, [randn(4, 6), randn(4, 6)]),
]


def pair(name, kwargs):
    n_kw = {k: nerve.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    t_kw = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return getattr(nn, name)(**n_kw), getattr(torch.nn, name)(**t_kw)


@pytest.mark.parametrize(
    "name,kwargs,inputs", MODULES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_module_matches_torch(name, kwargs, inputs, dtype):
    ours, theirs = pair(name, kwargs)
    if dtype == np.float64:
        ours.double()
        theirs.double()
    grads = [a.dtype.kind == "f" for a in inputs]
    arrays = [a.astype(dtype) if g else a for a, g in zip(inputs, grads)]
    ns = [nerve.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    ts = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    y, ty = ours(*ns), theirs(*ts)
    assert y.dtype == dtype and y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    (y * nerve.tensor(g)).sum().backward()
    (ty * torch.from_numpy(g)).sum().backward()
    for i, (n, t) in enumerate(zip(ns, ts)):
        if not t.requires_grad:
            continue
        if t.grad is None:
            assert n.grad is None or not np.any(n.grad.numpy()), f"input {i}"
            continue
        assert isinstance(n.grad, nerve.Tensor) and n.grad.dtype == dtype
        np.testing.assert_allclose(
            n.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=f"input {i}"
        )


NAMES = [
    "MarginRankingLoss",
    "HingeEmbeddingLoss",
    "CosineEmbeddingLoss",
    "MultiMarginLoss",
    "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss",
    "PoissonNLLLoss",
    "GaussianNLLLoss",
    "TripletMarginLoss",
    "CosineSimilarity",
    "PairwiseDistance",
]
ATTRS = [
    "reduction",
    "margin",
    "p",
    "weight",
    "log_input",
    "full",
    "eps",
    "swap",
    "dim",
    "norm",
    "keepdim",
]


@pytest.mark.parametrize("name", NAMES)
def test_defaults_repr_and_state_dict_match_torch(name):
    ours, theirs = getattr(nn, name)(), getattr(torch.nn, name)()
    assert isinstance(ours, nn.Module)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for attr in ATTRS:
        assert hasattr(ours, attr) == hasattr(theirs, attr), attr
        if hasattr(theirs, attr):
            assert getattr(ours, attr) == getattr(theirs, attr), attr


@pytest.mark.parametrize("name", ["MultiMarginLoss", "MultiLabelSoftMarginLoss"])
def test_weights_are_buffers(name):
    ours, theirs = pair(name, {"weight": W.copy()})  # from_numpy shares memory
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert list(ours.parameters()) == []
    ours.load_state_dict({"weight": W * 2})
    np.testing.assert_array_equal(ours.weight.numpy(), W * 2)
    ours.double()
    assert ours.weight.dtype == np.float64


def test_constructor_errors_match_torch():
    for cls in (nn.MultiMarginLoss, torch.nn.MultiMarginLoss):
        with pytest.raises(ValueError, match="only p == 1 and p == 2"):
            cls(p=3)
    with pytest.raises(ValueError, match="MultiMarginLoss: expected weight to be None or 1D"):
        nn.MultiMarginLoss(weight=nerve.ones(2, 2))
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater"):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(TypeError):
        nn.GaussianNLLLoss(True)  # full and eps are keyword-only, as in torch


def test_legacy_size_average_and_reduce():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in [
            "MarginRankingLoss",
            "MultiLabelMarginLoss",
            "PoissonNLLLoss",
            "TripletMarginLoss",
        ]:
            for kw in ({"size_average": False}, {"reduce": False}):
                assert getattr(nn, name)(**kw).reduction == getattr(torch.nn, name)(**kw).reduction


def test_forward_errors_name_the_loss():
    with pytest.raises(RuntimeError, match="margin_ranking_loss"):
        nn.MarginRankingLoss()(nerve.ones(3, 1), nerve.ones(3), nerve.ones(3))
    with pytest.raises(RuntimeError, match="multi_margin_loss: target out of range"):
        nn.MultiMarginLoss()(nerve.ones(2, 3), nerve.tensor([0, 3]))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        nn.GaussianNLLLoss()(nerve.ones(3, 4), nerve.ones(3, 4), nerve.ones(2))
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        nn.HingeEmbeddingLoss(reduction="avg")(nerve.ones(3), nerve.ones(3))


def test_triplet_embedding_learns():
    """A linear embedding trained with TripletMarginLoss pulls same-class points together."""
    nerve.manual_seed(0)
    emb = nn.Linear(4, 2)
    loss_fn = nn.TripletMarginLoss(margin=1.0)
    centers = randn(2, 4) * 3
    a = nerve.tensor(centers[0] + randn(32, 4) * 0.3)
    p = nerve.tensor(centers[0] + randn(32, 4) * 0.3)
    n = nerve.tensor(centers[1] + randn(32, 4) * 0.3)
    first = None
    for _ in range(60):
        loss = loss_fn(emb(a), emb(p), emb(n))
        first = loss.item() if first is None else first
        for q in emb.parameters():
            q.grad = None
        loss.backward()
        with nerve.no_grad():
            for q in emb.parameters():
                q.sub_(q.grad * 0.1)
    assert loss.item() < 0.2 * first + 1e-3
