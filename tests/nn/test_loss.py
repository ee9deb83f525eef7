import warnings

import numpy as np
import pytest
import torch

import nerve
import nerve.nn as nn

rng = np.random.default_rng(0)
C = 4
W = rng.uniform(0.5, 2.0, C).astype(np.float32)
PW = rng.uniform(0.5, 3.0, C).astype(np.float32)


def randn(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def unit(*shape):
    return rng.uniform(0.05, 0.95, shape).astype(np.float32)


def labels(*shape, ignore=-100):
    t = rng.integers(0, C, shape)
    t.flat[0] = ignore
    return t


def logprobs(*shape):
    x = randn(*shape)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def probs(*shape):
    e = np.exp(randn(*shape))
    return e / e.sum(axis=1, keepdims=True)


# (name, constructor kwargs with numpy weights, input, target)
MODULES = [
    ("MSELoss", {}, randn(3, 5), randn(3, 5)),
    ("MSELoss", {"reduction": "sum"}, randn(2, 3, 4), randn(2, 3, 4)),
    ("L1Loss", {"reduction": "none"}, randn(3, 5), randn(3, 5)),
    ("SmoothL1Loss", {"beta": 0.5}, randn(3, 5), randn(3, 5)),
    ("HuberLoss", {"delta": 2.0, "reduction": "sum"}, randn(3, 5), randn(3, 5)),
    ("SoftMarginLoss", {}, randn(3, 5), np.sign(randn(3, 5))),
    ("KLDivLoss", {"reduction": "batchmean"}, logprobs(3, C), probs(3, C)),
    ("KLDivLoss", {"reduction": "sum", "log_target": True}, logprobs(3, C), logprobs(3, C)),
    ("BCELoss", {}, unit(3, C), unit(3, C)),
    ("BCELoss", {"weight": W, "reduction": "none"}, unit(3, C), unit(3, C)),
    ("BCEWithLogitsLoss", {"weight": W, "pos_weight": PW}, randn(3, C), unit(3, C)),
    ("BCEWithLogitsLoss", {"pos_weight": PW, "reduction": "sum"}, randn(2, 3, C), unit(2, 3, C)),
    ("NLLLoss", {}, logprobs(6, C), labels(6)),
    ("NLLLoss", {"weight": W, "ignore_index": 2}, logprobs(6, C), labels(6, ignore=2)),
    ("NLLLoss", {"reduction": "none"}, logprobs(2, C, 3, 3), labels(2, 3, 3)),
    ("CrossEntropyLoss", {}, randn(6, C), labels(6)),
    ("CrossEntropyLoss", {"weight": W, "label_smoothing": 0.1}, randn(6, C), labels(6)),
    ("CrossEntropyLoss", {"weight": W, "reduction": "sum"}, randn(2, C, 3, 3), labels(2, 3, 3)),
    ("CrossEntropyLoss", {"label_smoothing": 0.2}, randn(5, C), probs(5, C)),
    ("CrossEntropyLoss", {"reduction": "none"}, randn(C), np.array(1)),
]


def pair(name, kwargs):
    n_kw = {k: nerve.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    t_kw = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return getattr(nn, name)(**n_kw), getattr(torch.nn, name)(**t_kw)


@pytest.mark.parametrize(
    "name,kwargs,x,t", MODULES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)]
)
def test_module_matches_torch(name, kwargs, x, t):
    ours, theirs = pair(name, kwargs)
    nx, tx = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    float_target = t.dtype.kind == "f"
    nt = nerve.tensor(t, requires_grad=float_target)
    tt = torch.tensor(t, requires_grad=float_target and name != "SoftMarginLoss")
    y, ty = ours(nx, nt), theirs(tx, tt)
    assert y.dtype == np.float32 and y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    (y * nerve.tensor(g)).sum().backward()
    (ty * torch.from_numpy(g)).sum().backward()
    assert isinstance(nx.grad, nerve.Tensor) and nx.grad.dtype == np.float32
    np.testing.assert_allclose(nx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-6)
    if tt.requires_grad:
        np.testing.assert_allclose(nt.grad.numpy(), tt.grad.numpy(), rtol=1e-4, atol=1e-6)


NAMES = [
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "SoftMarginLoss",
    "KLDivLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "NLLLoss",
    "CrossEntropyLoss",
]
ATTRS = [
    "reduction",
    "beta",
    "delta",
    "log_target",
    "ignore_index",
    "label_smoothing",
    "weight",
    "pos_weight",
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


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("CrossEntropyLoss", {"weight": W}),
        ("NLLLoss", {"weight": W}),
        ("BCELoss", {"weight": W}),
        ("BCEWithLogitsLoss", {"weight": W, "pos_weight": PW}),
        ("BCEWithLogitsLoss", {"pos_weight": PW}),
    ],
)
def test_weights_are_buffers(name, kwargs):
    ours, theirs = pair(name, kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert list(ours.parameters()) == []
    state = {k: v.numpy() * 2 for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    for k, v in state.items():
        np.testing.assert_array_equal(getattr(ours, k).numpy(), v)
    ours.double()
    assert all(b.dtype == np.float64 for b in ours.buffers())


def test_weight_buffer_changes_the_loss():
    loss = nn.CrossEntropyLoss(weight=nerve.ones(C))
    x, t = nerve.tensor(randn(5, C)), nerve.tensor(labels(5))
    before = loss(x, t).item()
    with nerve.no_grad():
        loss.weight.mul_(nerve.tensor(W))
    expected = torch.nn.CrossEntropyLoss(weight=torch.from_numpy(W))(
        torch.from_numpy(x.numpy()), torch.from_numpy(t.numpy())
    ).item()
    assert loss(x, t).item() == pytest.approx(expected, rel=1e-5)
    assert before != pytest.approx(expected)


def test_legacy_size_average_and_reduce():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kw in ({"size_average": False}, {"reduce": False}, {"size_average": True}):
            assert nn.MSELoss(**kw).reduction == torch.nn.MSELoss(**kw).reduction
            assert nn.NLLLoss(**kw).reduction == torch.nn.NLLLoss(**kw).reduction
    with pytest.warns(UserWarning, match="size_average and reduce"):
        nn.CrossEntropyLoss(size_average=False)


def test_errors_name_the_loss():
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        nn.CrossEntropyLoss()(nerve.randn(2, C), nerve.tensor([0, 7]))
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        nn.NLLLoss(reduction="avg")(nerve.randn(2, C), nerve.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="binary_cross_entropy: all elements of input"):
        nn.BCELoss()(nerve.tensor([1.5]), nerve.tensor([1.0]))
    with pytest.raises(RuntimeError, match="nll_loss.*Long"):
        nn.NLLLoss()(nerve.randn(2, C), nerve.tensor([0.0, 1.0]))


def test_training_step_reduces_the_loss():
    """A softmax classifier trained by hand with CrossEntropyLoss learns separable data."""
    x = nerve.tensor(randn(32, 3))
    t = nerve.tensor((x.numpy() @ np.array([1.0, -2.0, 0.5]) > 0).astype(np.int64))
    w = nerve.zeros(3, 2, requires_grad=True)
    loss_fn = nn.CrossEntropyLoss()
    first = None
    for _ in range(50):
        loss = loss_fn(x @ w, t)
        first = loss.item() if first is None else first
        w.grad = None
        loss.backward()
        with nerve.no_grad():
            w.sub_(w.grad * 1.0)
    assert first == pytest.approx(np.log(2), rel=1e-6)
    assert loss.item() < 0.3 * first
