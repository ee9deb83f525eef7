"""Lazy layers against PyTorch's: placeholders, repr before and after, the class they
become, shapes inferred from the first input, the initialisation drawn, and loading."""

import numpy as np
import pytest
import torch
from layercheck import twin_check

import nerve
import nerve.nn as nn

rng = np.random.default_rng(0)

LAYERS = [
    ("LazyLinear", (3,), {}, (4, 7)),
    ("LazyLinear", (3,), dict(bias=False), (2, 5, 6)),
    ("LazyConv1d", (4, 3), dict(padding=1), (2, 6, 9)),
    ("LazyConv1d", (4, 3), dict(groups=2), (6, 9)),
    ("LazyConv2d", (5, 3), dict(stride=2), (2, 3, 8, 8)),
    ("LazyConv2d", (4, (2, 3)), dict(bias=False), (3, 6, 7)),
    ("LazyBatchNorm1d", (), {}, (8, 5)),
    ("LazyBatchNorm1d", (), dict(affine=False), (8, 5, 3)),
    ("LazyBatchNorm2d", (), dict(momentum=0.3), (4, 3, 5, 5)),
    ("LazyBatchNorm2d", (), dict(affine=False, track_running_stats=False), (4, 3, 5, 5)),
]


@pytest.mark.parametrize("name,args,kw,shape", LAYERS)
def test_lazy_twin(name, args, kw, shape):
    m, t = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    for p in m.parameters():
        assert isinstance(p, nn.UninitializedParameter) and repr(p) == "<UninitializedParameter>"
    x = rng.standard_normal(shape).astype(np.float32)
    m(nerve.tensor(x))
    t(torch.from_numpy(x))
    assert type(m).__name__ == type(t).__name__ == name.removeprefix("Lazy")
    if list(t.state_dict()):
        assert repr(m) == repr(t)
    else:  # nothing to materialise: PyTorch leaves num_features at 0, nerve records the size
        assert repr(m) == repr(t).replace("(0,", f"({shape[1]},")
    for (k, v), (tk, tv) in zip(m.state_dict().items(), t.state_dict().items()):
        assert k == tk and v.shape == tuple(tv.shape) and type(v) is nerve.Tensor
    for p in m.parameters():
        assert type(p) is nn.Parameter and p.dtype == nerve.float32
    twin_check(m, t, x)  # the same weights give the same outputs and gradients


@pytest.mark.parametrize(
    "name,args,fan_in_of",
    [
        ("LazyLinear", (200,), lambda x: x.shape[-1]),
        ("LazyConv2d", (64, 3), lambda x: 9 * x.shape[1]),
    ],
)
def test_initialisation_matches_torch(name, args, fan_in_of):
    nerve.manual_seed(0)
    m = getattr(nn, name)(*args)
    x = nerve.randn(2, 40, 6, 6) if "Conv" in name else nerve.randn(2, 300)
    m(x)
    bound = 1 / np.sqrt(fan_in_of(x))
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    np.testing.assert_allclose(w.std(), bound / np.sqrt(3), rtol=0.05)
    assert np.abs(m.bias.detach().numpy()).max() <= bound


def test_batchnorm_init_and_float64():
    m = nn.LazyBatchNorm2d()
    m(nerve.randn(4, 3, 2, 2))
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones(3, np.float32))
    np.testing.assert_array_equal(m.bias.detach().numpy(), np.zeros(3, np.float32))
    assert int(m.num_batches_tracked.numpy()) == 1
    d = nn.LazyLinear(2, dtype=nerve.float64)
    y = d(nerve.randn(3, 4, dtype=nerve.float64))
    assert d.weight.dtype == nerve.float64 and y.dtype == nerve.float64


def test_load_state_dict_materialises():
    t = torch.nn.Linear(5, 3)
    m = nn.LazyLinear(3)
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    np.testing.assert_array_equal(m.weight.detach().numpy(), t.weight.detach().numpy())
    x = rng.standard_normal((2, 5)).astype(np.float32)
    np.testing.assert_allclose(
        m(nerve.tensor(x)).detach().numpy(), t(torch.from_numpy(x)).detach().numpy(), rtol=1e-6
    )
    assert type(m) is nn.Linear


def test_uninitialized_shape_raises_and_errors():
    m = nn.LazyLinear(3)
    with pytest.raises(RuntimeError):
        m.weight.shape  # noqa: B018 - as torch: the shape is not known yet
    c = nn.LazyConv2d(4, 3, groups=2)
    with pytest.raises(ValueError):
        c(nerve.randn(1, 3, 5, 5))
    with pytest.raises(ValueError):
        torch.nn.LazyConv2d(4, 3, groups=2)(torch.randn(1, 3, 5, 5))


def test_in_a_sequential():
    net = nn.Sequential(
        nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2)
    )
    y = net(nerve.randn(2, 3, 6, 6))
    assert y.shape == (2, 2)
    assert [type(m).__name__ for m in net] == ["Conv2d", "BatchNorm2d", "ReLU", "Flatten", "Linear"]
    assert net[4].in_features == 64


def test_parent_load_state_dict_materialises_lazy_children_like_torch():
    import torch

    src = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    ours = nerve.nn.Sequential(nerve.nn.LazyLinear(4), nerve.nn.ReLU(), nerve.nn.LazyLinear(2))
    theirs = torch.nn.Sequential(torch.nn.LazyLinear(4), torch.nn.ReLU(), torch.nn.LazyLinear(2))
    state = {k: v.detach().numpy() for k, v in src.state_dict().items()}
    ours.load_state_dict(state)
    theirs.load_state_dict(src.state_dict())
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_allclose(
        ours(nerve.from_numpy(x)).detach().numpy(),
        theirs(torch.from_numpy(x)).detach().numpy(),
        rtol=1e-6,
    )
