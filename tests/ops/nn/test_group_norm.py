"""GroupNorm (and instance_norm on it) and LocalResponseNorm: float64 finite differences and
PyTorch on the same inputs, running statistics and PyTorch's errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
import nerve.nn.functional as F


def _channels_last(fn):
    """Feed the op a conv-like channels-last view (N, C, H, W) of an (N, H, W, C) array."""
    return lambda x, *rest: fn(x.permute(0, 3, 1, 2), *rest)


def _gn(groups, eps=1e-5):
    return (
        lambda x, *wb: F.group_norm(x, groups, *wb, eps=eps),
        lambda x, *wb: TF.group_norm(x, groups, *wb, eps=eps),
    )


def _lrn(*args):
    return (lambda x: F.local_response_norm(x, *args), lambda x: TF.local_response_norm(x, *args))


CASES = [
    Case("GroupNorm/affine", *_gn(2), [(3, 4, 5), (4,), (4,)]),
    Case("GroupNorm/plain", *_gn(3), [(2, 6, 2, 3)]),
    Case("GroupNorm/weight_only", *_gn(1), [(2, 3, 4), (3,)]),
    Case("GroupNorm/2d_input", *_gn(2), [(3, 4), (4,), (4,)]),
    Case("GroupNorm/eps", *_gn(2, 0.1), [(2, 4, 3), (4,), (4,)]),
    Case("GroupNorm/per_channel", *_gn(4), [(2, 4, 3, 3), (4,), (4,)]),
    Case("GroupNorm/channels_last", *map(_channels_last, _gn(2)), [(2, 3, 3, 4), (4,), (4,)]),
    Case(
        "GroupNorm/instance",
        lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
        lambda x, w, b: TF.instance_norm(x, weight=w, bias=b),
        [(2, 3, 5), (3,), (3,)],
    ),
    Case("GroupNorm/instance_2d", F.instance_norm, TF.instance_norm, [(2, 3, 3, 4)]),
    Case("LocalResponseNorm/3d", *_lrn(3), [(2, 5, 4)]),
    Case("LocalResponseNorm/even", *_lrn(2, 0.1, 0.6, 2.0), [(2, 4, 3, 3)]),
    Case("LocalResponseNorm/wide", *_lrn(7, 0.5, 0.75, 1.0), [(2, 3, 4)]),
    Case("LocalResponseNorm/5d", *_lrn(4, 0.3, 1.2, 1.5), [(1, 6, 2, 2, 2)]),
    Case("LocalResponseNorm/size1", *_lrn(1, 0.2), [(2, 3, 4)]),
    Case("LocalResponseNorm/channels_last", *map(_channels_last, _lrn(3, 0.2)), [(2, 3, 3, 5)]),
]


table_tests(CASES, float64=True)


def test_instance_norm_running_stats_like_torch():
    x = np.random.default_rng(0).standard_normal((4, 3, 6)).astype(np.float32) * 2 + 1
    rm, rv = nerve.zeros(3), nerve.ones(3)
    trm, trv = torch.zeros(3), torch.ones(3)
    for momentum in (0.1, 0.5):
        y = F.instance_norm(nerve.tensor(x), rm, rv, momentum=momentum)
        ty = TF.instance_norm(torch.from_numpy(x), trm, trv, momentum=momentum)
        np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-5, atol=1e-6)
    # with use_input_stats=False the running statistics normalize, per channel
    y = F.instance_norm(nerve.tensor(x), rm, rv, use_input_stats=False)
    ty = TF.instance_norm(torch.from_numpy(x), trm, trv, use_input_stats=False)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-4, atol=1e-5)
    assert rm.dtype == np.float32


@pytest.mark.parametrize(
    "call,exc",
    [
        (lambda f: f.group_norm(f.x(2, 4, 3), 3), RuntimeError),
        (lambda f: f.group_norm(f.x(2, 4, 3), 2, f.x(3)), RuntimeError),
        (lambda f: f.group_norm(f.x(4), 2), RuntimeError),
        (lambda f: f.instance_norm(f.x(2, 3, 1)), ValueError),
        (lambda f: f.instance_norm(f.x(3, 4)), ValueError),
        (lambda f: f.instance_norm(f.x(2, 3, 4), use_input_stats=False), RuntimeError),
        (lambda f: f.local_response_norm(f.x(2, 3), 2), ValueError),
    ],
)
def test_errors_like_torch(call, exc):
    class N:
        x = staticmethod(lambda *s: nerve.zeros(*s))

    class T:
        x = staticmethod(lambda *s: torch.zeros(*s))

    for name in ("group_norm", "instance_norm", "local_response_norm"):
        setattr(N, name, staticmethod(getattr(F, name)))
        setattr(T, name, staticmethod(getattr(TF, name)))
    with pytest.raises(exc):
        call(T)
    with pytest.raises(exc, match="norm|spatial"):
        call(N)


def test_local_response_norm_empty_and_dtype():
    assert F.local_response_norm(nerve.zeros(2, 0, 3), 2).shape == (2, 0, 3)
    x = nerve.tensor(np.ones((1, 3, 2)), requires_grad=True)
    y = F.local_response_norm(x, 3)
    assert y.dtype == np.float64
    y.sum().backward()
    assert isinstance(x.grad, nerve.Tensor)


def test_group_norm_large_values_stable():
    x = np.random.default_rng(1).standard_normal((2, 4, 8)).astype(np.float32) * 1e3 + 1e4
    y = F.group_norm(nerve.tensor(x), 2)
    ty = TF.group_norm(torch.from_numpy(x), 2)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-3, atol=1e-3)
