import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from opcheck import Case, all_functions, table_tests

import nerve
import nerve.nn.functional as F
from nerve.ops.nn import loss as loss_ops
from nerve.ops.nn import loss_classification

rng = np.random.default_rng(0)
REDUCTIONS = ("mean", "sum", "none")
C = 5
W = rng.uniform(0.2, 2.0, C).astype(np.float32)  # class weights
LABELS = rng.integers(0, C, 6)
LABELS[2] = -100  # one ignored target (the default ignore_index)
LABELS_SPATIAL = rng.integers(0, 4, (2, 3, 3))
LABELS_SPATIAL[0, 1, 2] = -100
W4 = W[:4]


def softmax(shape, axis=1):
    z = rng.standard_normal(shape)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


PROBS = softmax((6, C))
PROBS_SPATIAL = softmax((2, 4, 3, 3))
UNIT = rng.uniform(0.05, 0.95, (3, 4))  # probabilities for BCE inputs and targets
UNIT_T = rng.uniform(0.0, 1.0, (3, 4))
POS = rng.uniform(0.1, 1.0, (3, 4))
SIGNS = np.where(rng.standard_normal((3, 4)) > 0, 1.0, -1.0)
LARGE = np.array([[1e4, -1e4, 0.0, 3.0], [-1e4, 1e4, 2.0, -5e3], [1e4, 1e4, -1e4, 1.0]])


def n_(a):
    return nerve.from_numpy(np.asarray(a))


def t_(a):
    return torch.from_numpy(np.asarray(a))


def pair(name, nerve_fn, torch_fn, target, inputs, **kw):
    """A Case for a loss of (input, fixed target) with options ``kw``; float arrays among
    the options (weights) are cast to the input's dtype for torch, as torch requires."""

    def n_fn(x):  # the target and weights on the input's device, as a torch program must
        t = n_(target).to(x.dtype) if target.dtype.kind == "f" else n_(target)
        return nerve_fn(x, t.to(x.device), **_n_opts(kw, x.device))

    def t_fn(x):
        t = t_(target).to(x.dtype) if target.dtype.kind == "f" else t_(target)
        return torch_fn(x, t, **_t_opts(kw, x))

    return Case(name, n_fn, t_fn, inputs)


def ignoring(labels, ignore_index):
    """The labels with the ignored slots marked by ``ignore_index``."""
    return np.where(labels == -100, ignore_index, labels)


def opts(**kw) -> str:
    return ",".join(f"{k}={'w' if isinstance(v, np.ndarray) else v}" for k, v in kw.items())


def ce_index_cases():
    out = []
    for red, weight, ls, ignore in itertools.product(REDUCTIONS, (None, W), (0.0, 0.2), (-100, 3)):
        kw = dict(reduction=red, label_smoothing=ls, ignore_index=ignore)
        if weight is not None:
            kw["weight"] = weight
        out.append(
            pair(
                f"CrossEntropy/index[{opts(**kw)}]",
                F.cross_entropy,
                tF.cross_entropy,
                ignoring(LABELS, ignore),
                [(6, C)],
                **kw,
            )
        )
        sp = dict(kw, weight=W4) if weight is not None else kw
        out.append(
            pair(
                f"CrossEntropy/spatial[{opts(**sp)}]",
                F.cross_entropy,
                tF.cross_entropy,
                ignoring(LABELS_SPATIAL, ignore),
                [(2, 4, 3, 3)],
                **sp,
            )
        )
    return out


def ce_prob_cases():
    out = []
    for red, weight, ls in itertools.product(REDUCTIONS, (None, W), (0.0, 0.3)):
        kw = dict(reduction=red, label_smoothing=ls)
        if weight is not None:
            kw["weight"] = weight
        out.append(
            Case(
                f"CrossEntropy/probs[{opts(**kw)}]",
                lambda x, p, kw=kw: F.cross_entropy(x, p, **_n_opts(kw)),
                lambda x, p, kw=kw: tF.cross_entropy(x, p, **_t_opts(kw, x)),
                [(6, C), PROBS],
            )
        )
    sp = dict(weight=W4, label_smoothing=0.1)
    for red in REDUCTIONS:
        out.append(
            Case(
                f"CrossEntropy/probs-spatial[{red}]",
                lambda x, p, r=red: F.cross_entropy(x, p, reduction=r, **_n_opts(sp)),
                lambda x, p, r=red: tF.cross_entropy(x, p, reduction=r, **_t_opts(sp, x)),
                [(2, 4, 3, 3), PROBS_SPATIAL],
            )
        )
    return out


def _n_opts(kw, device="cpu"):
    return {k: n_(v).to(device) if isinstance(v, np.ndarray) else v for k, v in kw.items()}


def _t_opts(kw, x):
    return {k: t_(v).to(x.dtype) if isinstance(v, np.ndarray) else v for k, v in kw.items()}


def nll_cases():
    out = []
    for red, weight, ignore in itertools.product(REDUCTIONS, (None, W), (-100, 1)):
        kw = dict(reduction=red, ignore_index=ignore)
        if weight is not None:
            kw["weight"] = weight
        out.append(
            pair(
                f"NllLoss/[{opts(**kw)}]",
                F.nll_loss,
                tF.nll_loss,
                ignoring(LABELS, ignore),
                [(6, C)],
                **kw,
            )
        )
    for red in REDUCTIONS:
        out.append(
            pair(
                f"NllLoss/spatial[{red}]",
                F.nll_loss,
                tF.nll_loss,
                LABELS_SPATIAL,
                [(2, 4, 3, 3)],
                reduction=red,
                weight=W4,
            )
        )
    return out


def pointwise_cases():
    out = []
    for red in REDUCTIONS:
        out += [
            Case(
                f"MseLoss/[{red}]",
                lambda x, y, r=red: F.mse_loss(x, y, reduction=r),
                lambda x, y, r=red: tF.mse_loss(x, y, reduction=r),
                [(3, 4), (3, 4)],
            ),
            Case(
                f"MseLoss/weight[{red}]",
                lambda x, y, w, r=red: F.mse_loss(x, y, reduction=r, weight=w),
                lambda x, y, w, r=red: tF.mse_loss(x, y, reduction=r, weight=w),
                [(3, 4), (3, 4), POS],
            ),
            Case(
                f"L1Loss/[{red}]",
                lambda x, y, r=red: F.l1_loss(x, y, reduction=r),
                lambda x, y, r=red: tF.l1_loss(x, y, reduction=r),
                [(3, 4), (3, 4)],
            ),
            Case(
                f"L1Loss/weight[{red}]",
                lambda x, y, w, r=red: F.l1_loss(x, y, reduction=r, weight=w),
                lambda x, y, w, r=red: tF.l1_loss(x, y, reduction=r, weight=w),
                [(3, 4), (3, 4), POS],
            ),
            Case(
                f"HuberLoss/weight[{red}]",
                lambda x, y, w, r=red: F.huber_loss(x, y, reduction=r, delta=0.7, weight=w),
                lambda x, y, w, r=red: tF.huber_loss(x, y, reduction=r, delta=0.7, weight=w),
                [(3, 4), (3, 4), POS],
            ),
            Case(
                f"SmoothL1Loss/[{red}]",
                lambda x, y, r=red: F.smooth_l1_loss(x, y, reduction=r, beta=0.5),
                lambda x, y, r=red: tF.smooth_l1_loss(x, y, reduction=r, beta=0.5),
                [(3, 4), (3, 4)],
            ),
            Case(
                f"KlDiv/[{red}]",
                lambda x, y, r=red: F.kl_div(x, y, reduction=r),
                lambda x, y, r=red: tF.kl_div(x, y, reduction=r),
                [(3, 4), POS],
            ),
            pair(
                f"SoftMarginLoss/[{red}]",
                F.soft_margin_loss,
                tF.soft_margin_loss,
                SIGNS,
                [(3, 4)],
                reduction=red,
            ),
        ]
    for beta in (0.0, 1.0, 3.0):
        out.append(
            Case(
                f"SmoothL1Loss/beta={beta}",
                lambda x, y, b=beta: F.smooth_l1_loss(x, y, beta=b),
                lambda x, y, b=beta: tF.smooth_l1_loss(x, y, beta=b),
                [(3, 4), (3, 4)],
            )
        )
    for delta in (0.3, 1.0, 2.5):
        out.append(
            Case(
                f"HuberLoss/delta={delta}",
                lambda x, y, d=delta: F.huber_loss(x, y, delta=d, reduction="sum"),
                lambda x, y, d=delta: tF.huber_loss(x, y, delta=d, reduction="sum"),
                [(3, 4), (3, 4)],
            )
        )
    for red in ("batchmean", "sum", "none"):
        out.append(
            Case(
                f"KlDiv/log_target[{red}]",
                lambda x, y, r=red: F.kl_div(x, y, reduction=r, log_target=True),
                lambda x, y, r=red: tF.kl_div(x, y, reduction=r, log_target=True),
                [(3, 4), (3, 4)],
            )
        )
    out.append(
        Case(
            "KlDiv/batchmean",
            lambda x, y: F.kl_div(x, y, reduction="batchmean"),
            lambda x, y: tF.kl_div(x, y, reduction="batchmean"),
            [(3, 4), POS],
        )
    )
    return out


def bce_cases():
    out = []
    for red, weight in itertools.product(REDUCTIONS, (None, POS[0])):
        kw = dict(reduction=red) if weight is None else dict(reduction=red, weight=weight)
        out.append(
            Case(
                f"BinaryCrossEntropy/[{opts(**kw)}]",
                lambda x, y, kw=kw: F.binary_cross_entropy(x, y, **_n_opts(kw)),
                lambda x, y, kw=kw: tF.binary_cross_entropy(x, y, **_t_opts(kw, x)),
                [UNIT, UNIT_T],
            )
        )
    for red, weight, pw in itertools.product(REDUCTIONS, (None, POS), (None, POS[1] * 3)):
        kw = dict(reduction=red)
        if weight is not None:
            kw["weight"] = weight
        if pw is not None:
            kw["pos_weight"] = pw
        out.append(
            Case(
                f"BinaryCrossEntropyWithLogits/[{opts(**kw)}]",
                lambda x, y, kw=kw: F.binary_cross_entropy_with_logits(x, y, **_n_opts(kw)),
                lambda x, y, kw=kw: tF.binary_cross_entropy_with_logits(x, y, **_t_opts(kw, x)),
                [(3, 4), UNIT_T],
            )
        )
    return out


def edge_cases():
    """Batch of one, unbatched input, uint8 targets, ±1e4 logits, all targets ignored."""
    return [
        pair("CrossEntropy/batch1", F.cross_entropy, tF.cross_entropy, np.array([3]), [(1, C)]),
        pair(
            "CrossEntropy/unbatched",
            F.cross_entropy,
            tF.cross_entropy,
            np.array(2),
            [(C,)],
            reduction="none",
        ),
        pair(
            "CrossEntropy/unbatched-ls",
            F.cross_entropy,
            tF.cross_entropy,
            np.array(2),
            [(C,)],
            weight=W,
            label_smoothing=0.1,
        ),
        Case("CrossEntropy/unbatched-probs", F.cross_entropy, tF.cross_entropy, [(C,), PROBS[0]]),
        pair(
            "CrossEntropy/uint8",
            F.cross_entropy,
            tF.cross_entropy,
            np.array([0, 4, 1], np.uint8),
            [(3, C)],
        ),
        pair(
            "CrossEntropy/3d",
            F.cross_entropy,
            tF.cross_entropy,
            LABELS_SPATIAL[:, 0],
            [(2, 4, 3)],
            weight=W4,
            reduction="none",
        ),
        pair(
            "CrossEntropy/all-ignored-sum",
            F.cross_entropy,
            tF.cross_entropy,
            np.full(3, -100),
            [(3, C)],
            reduction="sum",
        ),
        pair("CrossEntropy/large", F.cross_entropy, tF.cross_entropy, np.array([1, 0, 3]), [LARGE]),
        pair(
            "CrossEntropy/large-ls",
            F.cross_entropy,
            tF.cross_entropy,
            np.array([0, 1, 2]),
            [LARGE],
            label_smoothing=0.1,
            weight=W[:4],
            reduction="none",
        ),
        Case(
            "CrossEntropy/large-probs", F.cross_entropy, tF.cross_entropy, [LARGE, softmax((3, 4))]
        ),
        pair("NllLoss/batch1", F.nll_loss, tF.nll_loss, np.array([4]), [(1, C)]),
        pair("NllLoss/unbatched", F.nll_loss, tF.nll_loss, np.array(1), [(C,)], weight=W),
        Case(
            "BinaryCrossEntropyWithLogits/large",
            F.binary_cross_entropy_with_logits,
            tF.binary_cross_entropy_with_logits,
            [LARGE, UNIT_T],
        ),
        # torch's soft_margin_loss overflows to inf here; its softplus is the stable reference
        Case(
            "SoftMarginLoss/large",
            lambda x: F.soft_margin_loss(x, n_(SIGNS).to(x.dtype).to(x.device)),
            lambda x: tF.softplus(-t_(SIGNS).to(x.dtype) * x).mean(),
            [LARGE],
        ),
        Case("MseLoss/batch1", F.mse_loss, tF.mse_loss, [(1, 1), (1, 1)]),
        Case("MseLoss/0d", F.mse_loss, tF.mse_loss, [(), ()]),
        Case(
            "L1Loss/noncontig",
            lambda x, y: F.l1_loss(x.T, y),
            lambda x, y: tF.l1_loss(x.T, y),
            [(4, 3), (3, 4)],
        ),
    ]


CASES = (
    ce_index_cases()
    + ce_prob_cases()
    + nll_cases()
    + pointwise_cases()
    + bce_cases()
    + edge_cases()
)


table_tests(CASES, ignore_warnings="torch's kl_div warns about reduction='mean'")


def test_every_function_has_a_row():
    named = {case.name.split("/")[0] for case in CASES}
    functions = all_functions(loss_ops) | all_functions(loss_classification)
    assert len(functions) == 10 and functions <= named, functions - named


def test_cross_entropy_is_one_node():
    x = nerve.randn(4, C, requires_grad=True)
    y = F.cross_entropy(x, nerve.tensor([0, 1, 2, 3]))
    assert type(y.grad_fn).__name__ == "CrossEntropy"
    assert y.grad_fn.parents[0] is x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_logits_stay_finite(dtype):
    x = nerve.tensor(LARGE.astype(dtype), requires_grad=True)
    for loss in (
        F.cross_entropy(x, nerve.tensor([1, 0, 3]), label_smoothing=0.2),
        F.binary_cross_entropy_with_logits(x, n_(UNIT_T.astype(dtype))),
    ):
        x.grad = None
        loss.backward()
        assert loss.dtype == dtype and np.isfinite(loss.item())
        assert np.all(np.isfinite(x.grad.numpy()))


def test_bce_clamps_log_at_minus_100():
    x = nerve.tensor([0.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(x, nerve.tensor([1.0, 0.0]), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [100.0, 100.0])
    loss.sum().backward()
    tx = torch.tensor([0.0, 1.0], requires_grad=True)
    tF.binary_cross_entropy(tx, torch.tensor([1.0, 0.0]), reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_all_ignored_mean_is_nan_like_torch():
    x = nerve.randn(3, C)
    t = nerve.tensor([-100, -100, -100])
    assert np.isnan(F.cross_entropy(x, t).item())
    assert np.isnan(F.nll_loss(x, t, weight=n_(W)).item())
    assert F.cross_entropy(x, t, reduction="sum").item() == 0


def test_dtypes_follow_the_input():
    x = nerve.randn(3, C, dtype=nerve.float64)
    assert F.cross_entropy(x, nerve.tensor([0, 1, 2]), weight=n_(W)).dtype == np.float64
    y = nerve.randn(3, C)
    assert F.mse_loss(y, nerve.tensor(np.ones((3, C), np.int64))).dtype == np.float32
    assert (
        F.cross_entropy(y, nerve.tensor([0, 1, 2]), weight=n_(W.astype(np.float64))).dtype
        == np.float32
    )


# ----- errors: the types PyTorch raises, messages naming the loss and the shapes --------------
def test_target_out_of_range_is_index_error():
    x = nerve.randn(3, C)
    for fn in (F.cross_entropy, F.nll_loss):
        with pytest.raises(IndexError, match="Target 5 is out of bounds"):
            fn(x, nerve.tensor([0, 5, 1]))
        with pytest.raises(IndexError, match="Target -1 is out of bounds"):
            fn(x, nerve.tensor([0, -1, 1]))
    with pytest.raises(IndexError, match="Target 4"):
        F.cross_entropy(nerve.randn(2, 4, 3), nerve.tensor([[0, 4, 1], [1, 1, 1]]))
    assert np.isfinite(F.nll_loss(x, nerve.tensor([0, 1, 7]), ignore_index=7).item())


def test_wrong_target_dtype():
    x = nerve.randn(3, C)
    with pytest.raises(RuntimeError, match="cross_entropy.*Long"):
        F.cross_entropy(x, nerve.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(RuntimeError, match="nll_loss.*Long"):
        F.nll_loss(x, nerve.tensor([0, 1, 1], dtype=nerve.int32))
    with pytest.raises(RuntimeError, match="floating point.*probabilities"):
        F.cross_entropy(x, nerve.ones(3, C, dtype=nerve.int64))
    with pytest.raises(RuntimeError, match="binary_cross_entropy_with_logits.*floating"):
        F.binary_cross_entropy_with_logits(x, nerve.ones(3, C, dtype=nerve.int64))
    with pytest.raises(RuntimeError, match="ignore_index"):
        F.cross_entropy(x, nerve.rand(3, C), ignore_index=1)


def test_wrong_target_shape():
    x = nerve.randn(3, C)
    with pytest.raises(ValueError, match=r"batch_size \(3\).*batch_size \(2\)"):
        F.cross_entropy(x, nerve.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="multi-target"):
        F.nll_loss(x, nerve.tensor([[0, 1, 1]] * 3))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 3\], got \[2, 4\]"):
        F.cross_entropy(nerve.randn(2, 5, 3), nerve.zeros(2, 4, dtype=nerve.int64))
    with pytest.raises(ValueError, match="1D target must have size 1"):
        F.nll_loss(nerve.randn(5), nerve.tensor([1, 2]))
    with pytest.raises(ValueError, match="Expected 1 or more dimensions"):
        F.nll_loss(nerve.tensor(1.0), nerve.tensor(0))
    with pytest.raises(ValueError, match=r"binary_cross_entropy.*\(3,\).*\(2,\)"):
        F.binary_cross_entropy(nerve.rand(2), nerve.rand(3))
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits"):
        F.binary_cross_entropy_with_logits(nerve.rand(2), nerve.rand(3))


def test_bad_options():
    x, t = nerve.randn(3, C), nerve.tensor([0, 1, 2])
    with pytest.raises(RuntimeError, match="weight tensor should be defined.*5 classes"):
        F.cross_entropy(x, t, weight=nerve.ones(4))
    with pytest.raises(RuntimeError, match="label_smoothing must be between"):
        F.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.cross_entropy(x, t, reduction="avg")
    with pytest.raises(ValueError, match="not a valid value"):
        F.mse_loss(x, x, reduction="batchmean")
    with pytest.raises(RuntimeError, match="negative values for beta"):
        F.smooth_l1_loss(x, x, beta=-1)
    with pytest.raises(RuntimeError, match="non-positive values for delta"):
        F.huber_loss(x, x, delta=0)
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        F.mse_loss(x, x, weight=nerve.ones(C))
    with pytest.raises(RuntimeError, match="binary_cross_entropy_with_logits: pos_weight of shape"):
        F.binary_cross_entropy_with_logits(x, x, pos_weight=nerve.ones(4))
    with pytest.raises(TypeError, match="mse_loss.*'target' must be Tensor"):
        F.mse_loss(x, 1.0)
    with pytest.raises(RuntimeError, match="cross_entropy.*floating point input"):
        F.cross_entropy(nerve.ones(3, C, dtype=nerve.int64), t)


def test_bce_input_outside_unit_interval():
    with pytest.raises(RuntimeError, match="input should be between 0 and 1"):
        F.binary_cross_entropy(nerve.tensor([0.5, 1.2]), nerve.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
        F.binary_cross_entropy(nerve.tensor([0.5, 0.2]), nerve.tensor([-1.0, 2.0]))


def test_mse_broadcasts_with_a_warning_like_torch():
    x, y = np.random.randn(3, 1).astype(np.float32), np.random.randn(3).astype(np.float32)
    with pytest.warns(UserWarning, match="mse_loss.*target size"):
        out = F.mse_loss(n_(x), n_(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = tF.mse_loss(t_(x), t_(y)).numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    with pytest.raises(RuntimeError, match=r"mse_loss.*\(3, 2\).*\(4,\)"):
        F.mse_loss(nerve.randn(3, 2), nerve.randn(4))


def test_legacy_size_average_and_reduce():
    x, y = nerve.randn(3, 4), nerve.randn(3, 4)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        summed = F.mse_loss(x, y, size_average=False)
    assert np.isclose(summed.item(), F.mse_loss(x, y, reduction="sum").item())
    with pytest.warns(UserWarning):
        assert F.l1_loss(x, y, reduce=False).shape == (3, 4)
