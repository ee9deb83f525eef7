import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, table_tests

import nerve
from nerve.ops.nn import pool as P
from nerve.ops.nn import pool_stochastic as SP

rng = np.random.default_rng(0)
RELU = np.maximum(rng.standard_normal((2, 3, 6, 6)), 0)  # many ties at 0
POS = np.abs(rng.standard_normal((2, 2, 6, 7))) + 0.1
DEAD = POS.copy()
DEAD[0, 0, :2, :2] = 0  # an all-zero window: output and gradient 0


def _torch_stochastic_eval(x, k, s):
    a = x.unfold(2, k, s).unfold(3, k, s)  # (N, C, OH, OW, k, k)
    total = a.sum((-2, -1))
    return torch.where(total > 0, (a * a).sum((-2, -1)) / total.clamp_min(1e-30), 0)


def _pair(name, nfn, tfn, inputs, **kw):
    return Case(name, lambda x: nfn(x), lambda x: tfn(x), inputs, **kw)


CASES = [
    _pair(
        "MaxPool/2x2", lambda x: P.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), [(2, 3, 6, 8)]
    ),
    _pair(
        "MaxPool/odd_size_floor",
        lambda x: P.max_pool2d(x, 2),
        lambda x: TF.max_pool2d(x, 2),
        [(1, 2, 7, 5)],
    ),
    _pair(
        "MaxPool/overlap_pad",
        lambda x: P.max_pool2d(x, 3, 2, 1),
        lambda x: TF.max_pool2d(x, 3, 2, 1),
        [(2, 2, 9, 8)],
    ),
    _pair(
        "MaxPool/rect_dilation_ceil",
        lambda x: P.max_pool2d(x, (3, 2), (2, 1), (1, 1), (1, 2), ceil_mode=True),
        lambda x: TF.max_pool2d(x, (3, 2), (2, 1), (1, 1), (1, 2), ceil_mode=True),
        [(2, 2, 10, 7)],
    ),
    _pair(
        "MaxPool/ceil_partial",
        lambda x: P.max_pool2d(x, 3, 2, ceil_mode=True),
        lambda x: TF.max_pool2d(x, 3, 2, ceil_mode=True),
        [(1, 2, 8, 6)],
    ),
    _pair(
        "MaxPool/stride1",
        lambda x: P.max_pool2d(x, 2, 1),
        lambda x: TF.max_pool2d(x, 2, 1),
        [(2, 2, 4, 5)],
    ),
    _pair(
        "MaxPool/ties_after_relu",
        lambda x: P.max_pool2d(x, 2),
        lambda x: TF.max_pool2d(x, 2),
        [RELU],
        gradcheck=False,
    ),
    _pair(
        "MaxPool/ties_overlap",
        lambda x: P.max_pool2d(x, 3, 1, 1),
        lambda x: TF.max_pool2d(x, 3, 1, 1),
        [RELU],
        gradcheck=False,
    ),
    _pair(
        "MaxPool/unbatched",
        lambda x: P.max_pool2d(x, 2),
        lambda x: TF.max_pool2d(x, 2),
        [(3, 4, 4)],
    ),
    _pair(
        "MaxPool/noncontig",
        lambda x: P.max_pool2d(x.transpose(2, 3), 2),
        lambda x: TF.max_pool2d(x.transpose(2, 3), 2),
        [(2, 2, 4, 6)],
    ),
    _pair(
        "MaxPool/1d",
        lambda x: P.max_pool1d(x, 3, 2, 1, ceil_mode=True),
        lambda x: TF.max_pool1d(x, 3, 2, 1, ceil_mode=True),
        [(2, 3, 10)],
    ),
    _pair(
        "MaxPool/1d_unbatched",
        lambda x: P.max_pool1d(x, 2),
        lambda x: TF.max_pool1d(x, 2),
        [(3, 7)],
    ),
    _pair(
        "AvgPool/2x2", lambda x: P.avg_pool2d(x, 2), lambda x: TF.avg_pool2d(x, 2), [(2, 3, 6, 8)]
    ),
    _pair(
        "AvgPool/overlap_pad",
        lambda x: P.avg_pool2d(x, 3, 2, 1),
        lambda x: TF.avg_pool2d(x, 3, 2, 1),
        [(2, 2, 9, 8)],
    ),
    _pair(
        "AvgPool/exclude_pad_ceil",
        lambda x: P.avg_pool2d(x, 3, 2, 1, True, False),
        lambda x: TF.avg_pool2d(x, 3, 2, 1, True, False),
        [(2, 2, 10, 7)],
    ),
    _pair(
        "AvgPool/include_pad_ceil",
        lambda x: P.avg_pool2d(x, (3, 2), (2, 3), (1, 1), True),
        lambda x: TF.avg_pool2d(x, (3, 2), (2, 3), (1, 1), True),
        [(1, 2, 10, 8)],
    ),
    _pair(
        "AvgPool/divisor_override",
        lambda x: P.avg_pool2d(x, 3, 1, 1, divisor_override=4),
        lambda x: TF.avg_pool2d(x, 3, 1, 1, divisor_override=4),
        [(2, 2, 5, 5)],
    ),
    _pair(
        "AvgPool/1d",
        lambda x: P.avg_pool1d(x, 4, 3, 2, ceil_mode=True),
        lambda x: TF.avg_pool1d(x, 4, 3, 2, ceil_mode=True),
        [(2, 3, 10)],
    ),
    _pair(
        "AvgPool/1d_exclude_pad",
        lambda x: P.avg_pool1d(x, 3, 2, 1, count_include_pad=False),
        lambda x: TF.avg_pool1d(x, 3, 2, 1, count_include_pad=False),
        [(2, 3, 9)],
    ),
    _pair(
        "AdaptiveAvgPool/uneven",
        lambda x: P.adaptive_avg_pool2d(x, (3, 4)),
        lambda x: TF.adaptive_avg_pool2d(x, (3, 4)),
        [(2, 3, 10, 7)],
    ),
    _pair(
        "AdaptiveAvgPool/upsampling_bins",
        lambda x: P.adaptive_avg_pool2d(x, (5, 3)),
        lambda x: TF.adaptive_avg_pool2d(x, (5, 3)),
        [(1, 2, 3, 2)],
    ),
    _pair(
        "AdaptiveAvgPool/none_keeps_size",
        lambda x: P.adaptive_avg_pool2d(x, (None, 2)),
        lambda x: TF.adaptive_avg_pool2d(x, (None, 2)),
        [(2, 2, 4, 5)],
    ),
    _pair(
        "AdaptiveAvgPool/global",
        lambda x: P.adaptive_avg_pool2d(x, 1),
        lambda x: TF.adaptive_avg_pool2d(x, 1),
        [(2, 3, 5, 4)],
    ),
    _pair(
        "AdaptiveAvgPool/1d",
        lambda x: P.adaptive_avg_pool1d(x, 4),
        lambda x: TF.adaptive_avg_pool1d(x, 4),
        [(2, 3, 10)],
    ),
    _pair(
        "AdaptiveMaxPool/uneven",
        lambda x: P.adaptive_max_pool2d(x, (3, 4)),
        lambda x: TF.adaptive_max_pool2d(x, (3, 4)),
        [(2, 3, 10, 7)],
    ),
    _pair(
        "AdaptiveMaxPool/global",
        lambda x: P.adaptive_max_pool2d(x, 1),
        lambda x: TF.adaptive_max_pool2d(x, 1),
        [(2, 3, 5, 4)],
    ),
    _pair(
        "AdaptiveMaxPool/ties",
        lambda x: P.adaptive_max_pool2d(x, (4, 5)),
        lambda x: TF.adaptive_max_pool2d(x, (4, 5)),
        [RELU],
        gradcheck=False,
    ),
    _pair(
        "AdaptiveMaxPool/1d_unbatched",
        lambda x: P.adaptive_max_pool1d(x, 3),
        lambda x: TF.adaptive_max_pool1d(x, 3),
        [(3, 8)],
    ),
    _pair(
        "StochasticPool/eval",
        lambda x: SP.stochastic_pool2d(x, 2, training=False),
        lambda x: _torch_stochastic_eval(x, 2, 2),
        [POS],
    ),
    _pair(
        "StochasticPool/eval_overlap",
        lambda x: SP.stochastic_pool2d(x, 3, 2, training=False),
        lambda x: _torch_stochastic_eval(x, 3, 2),
        [POS],
    ),
    _pair(
        "StochasticPool/eval_dead_window",
        lambda x: SP.stochastic_pool2d(x, 2, training=False),
        lambda x: _torch_stochastic_eval(x, 2, 2),
        [DEAD],
        gradcheck=False,
    ),
]


table_tests(CASES)


@pytest.mark.parametrize(
    "fn,tfn,shape",
    [
        (
            lambda x: P.max_pool2d(x, 3, 2, 1, return_indices=True),
            lambda x: TF.max_pool2d(x, 3, 2, 1, return_indices=True),
            (2, 3, 7, 5),
        ),
        (
            lambda x: P.max_pool2d(x, 2, ceil_mode=True, return_indices=True),
            lambda x: TF.max_pool2d(x, 2, ceil_mode=True, return_indices=True),
            (2, 3, 7, 5),
        ),
        (
            lambda x: P.adaptive_max_pool2d(x, (3, 2), return_indices=True),
            lambda x: TF.adaptive_max_pool2d(x, (3, 2), return_indices=True),
            (2, 3, 7, 5),
        ),
        (
            lambda x: P.max_pool1d(x, 3, 2, 1, return_indices=True),
            lambda x: TF.max_pool1d(x, 3, 2, 1, return_indices=True),
            (2, 3, 9),
        ),
    ],
)
def test_return_indices_match_torch(fn, tfn, shape):
    x = np.maximum(rng.standard_normal(shape), 0).astype(np.float32)
    (y, i), (ty, ti) = fn(nerve.tensor(x, requires_grad=True)), tfn(torch.from_numpy(x))
    np.testing.assert_array_equal(y.detach().numpy(), ty.numpy())
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    assert i.dtype == nerve.int64 and not i.requires_grad


def test_output_too_small_names_op_size_and_formula():
    with pytest.raises(
        RuntimeError,
        match=r"max_pool2d: Given input size: \(1, 2, 2\)\. "
        r"Calculated output size: \(0, 0\)",
    ):
        P.max_pool2d(nerve.randn(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match="avg_pool1d.*too small"):
        P.avg_pool1d(nerve.randn(1, 1, 2), 3)


def test_bad_arguments():
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        P.max_pool2d(nerve.randn(1, 1, 6, 6), 2, padding=2)
    with pytest.raises(RuntimeError, match="expected 3D or 4D"):
        P.max_pool2d(nerve.randn(6, 6), 2)
    with pytest.raises(ValueError, match="non-negative"):
        SP.stochastic_pool2d(nerve.randn(1, 1, 4, 4), 2)


def test_float32_and_grad_tensor():
    x = nerve.randn(2, 3, 6, 6, requires_grad=True)
    y = P.avg_pool2d(P.max_pool2d(x, 2), 3)
    assert y.dtype == nerve.float32
    y.sum().backward()
    assert isinstance(x.grad, nerve.Tensor) and x.grad.dtype == nerve.float32


def test_stochastic_training_samples_by_activation():
    a = np.array([[1.0, 0.0], [3.0, 6.0]], np.float32)
    x = nerve.tensor(np.tile(a, (1, 2000, 1, 1)), requires_grad=True)  # 2000 windows
    y = SP.stochastic_pool2d(x, 2, training=True, generator=nerve.Generator().manual_seed(0))
    vals = y.detach().numpy().ravel()
    freq = np.array([(vals == v).mean() for v in (1.0, 0.0, 3.0, 6.0)])
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.3, 0.6], atol=0.03)
    y.sum().backward()
    g = x.grad.numpy().reshape(2000, 4)
    # The gradient goes to the sampled element, one per window
    assert np.all(g.sum(1) == 1)
    np.testing.assert_array_equal(x.detach().numpy().reshape(2000, 4)[g == 1], vals)


def test_stochastic_eval_is_deterministic_weighted_average():
    x = nerve.tensor([[[[1.0, 0.0], [3.0, 6.0]]]])
    y = SP.stochastic_pool2d(x, 2, training=False)
    np.testing.assert_allclose(y.numpy().ravel(), [(1 + 9 + 36) / 10])


def test_max_pool_inference_path_matches():
    x = nerve.from_numpy(RELU.astype(np.float32))
    with nerve.no_grad():
        y = P.max_pool2d(x, 3, 2, 1)
    np.testing.assert_array_equal(
        y.numpy(), TF.max_pool2d(torch.from_numpy(x.numpy()), 3, 2, 1).numpy()
    )
    assert not y.requires_grad


@pytest.mark.parametrize(
    "dims, shape, kw",
    [
        (2, (3, 4, 8, 8), {"kernel_size": 2}),
        (2, (2, 3, 7, 9), {"kernel_size": 2, "ceil_mode": True}),
        (2, (2, 3, 7, 9), {"kernel_size": 3, "stride": 3, "padding": 1}),
        (2, (2, 2, 9, 8), {"kernel_size": (2, 3), "stride": (3, 4), "dilation": (2, 1)}),
        (1, (2, 3, 11), {"kernel_size": 3}),
        (3, (2, 2, 4, 6, 6), {"kernel_size": 2}),
    ],
    ids=["2x2", "ceil", "padded", "gaps_dilated", "1d", "3d"],
)
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_disjoint_max_pool_backward_routes_ties_as_torch(dims, shape, kw, layout, monkeypatch):
    # small integers: many ties, which must all go to each window's first maximum
    r = np.random.default_rng(1)
    x = r.integers(0, 3, shape).astype(np.float64)
    if layout == "channels_last":  # as a conv's output: channels innermost in memory
        x = np.ascontiguousarray(np.moveaxis(x, 1, -1)).transpose(0, -1, *range(1, dims + 1))
    calls, disjoint = [], P.MaxPool._backward_disjoint
    monkeypatch.setattr(P.MaxPool, "_backward_disjoint", lambda *a: calls.append(1) or disjoint(*a))
    xt = nerve.tensor(x, requires_grad=True)
    y = {1: P.max_pool1d, 2: P.max_pool2d, 3: P.max_pool3d}[dims](xt, **kw)
    dy = np.random.default_rng(2).standard_normal(y.shape)
    y.backward(nerve.tensor(dy))
    assert calls == [1]
    tx = torch.from_numpy(x).requires_grad_()
    getattr(TF, f"max_pool{dims}d")(tx, **kw).backward(torch.from_numpy(dy))
    np.testing.assert_array_equal(xt.grad.numpy(), tx.grad.numpy())
