"""Margin, embedding and likelihood losses: float64 finite differences and PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from opcheck import Case, Const, table_tests

import nerve
import nerve.nn.functional as F
from nerve.ops.nn import loss_margin as loss_more

rng = np.random.default_rng(0)
SIGNS = Const(np.array([1.0, -1.0, -1.0, 1.0, 1.0]))
SIGNS4 = Const(np.array([1.0, -1.0, 1.0, -1.0]))
LABELS = Const(np.array([0, 3, 4, 1]))
MULTI = Const(np.array([[3, 0, -1, 1, 2], [1, 1, 4, -1, 0], [-1, 2, 2, 2, 2], [0, 1, 2, 3, 4]]))
PROBS = rng.uniform(0, 1, (4, 5))
COUNTS = np.array([[0.0, 1.0, 2.0, 3.0, 7.0], [0.5, 1.5, 4.0, 0.0, 12.0]])
COUNTS_OFF1 = COUNTS + 0.1  # Stirling's term switches on at y = 1: no finite differences there
POS = rng.uniform(0.5, 2.0, (2, 5))
W = np.array([0.5, 1.0, 2.0, 1.5, 0.3])


def _args(mod, args):
    """Fixed (Const) arrays as tensors of the framework, floats in the first input's dtype."""
    first = args[0]
    wrap = nerve.tensor if mod is F else torch.tensor
    if mod is TF:  # opcheck hands torch the fixed arrays as float64 tensors already
        return [
            a.to(first.dtype)
            if isinstance(a, torch.Tensor) and not a.requires_grad and a.is_floating_point()
            else a
            for a in args
        ]
    return [
        wrap(a, dtype=first.dtype if a.dtype.kind == "f" else None)
        if isinstance(a, np.ndarray)
        else a
        for a in args
    ]


def _mm(p=1, margin=1.0, weighted=False, reduction="mean"):
    """multi_margin_loss in both frameworks, the class weights cast to the input's dtype."""

    def run(mod, x, t):
        t = _args(mod, [x, t])[1]
        w = None
        if weighted:
            w = (
                nerve.tensor(W, device=x.device).to(x.dtype)
                if mod is F
                else torch.tensor(W, dtype=x.dtype)
            )
        return mod.multi_margin_loss(x, t, p=p, margin=margin, weight=w, reduction=reduction)

    return (lambda x, t: run(F, x, t)), (lambda x, t: run(TF, x, t))


def _pair(name, **kw):
    return (
        (lambda *a: getattr(F, name)(*_args(F, a), **kw)),
        (lambda *a: getattr(TF, name)(*_args(TF, a), **kw)),
    )


def case(label, name, inputs, gradcheck=True, **kw):
    return Case(label, *_pair(name, **kw), inputs, gradcheck=gradcheck)


CASES = [
    Case("MultiMarginLoss", *_mm(), [(4, 5), LABELS]),
    Case("MultiMarginLoss/p2", *_mm(p=2, margin=0.7, reduction="sum"), [(4, 5), LABELS]),
    Case("MultiMarginLoss/weight", *_mm(weighted=True, reduction="none"), [(4, 5), LABELS]),
    Case("MultiMarginLoss/p2_weight", *_mm(p=2, weighted=True), [(4, 5), LABELS]),
    Case("MultiMarginLoss/1d", *_mm(reduction="none"), [(5,), Const(np.array(2))]),
    Case("MultiMarginLoss/1d_target1", *_mm(reduction="none"), [(5,), Const(np.array([2]))]),
    case("MultiLabelMarginLoss", "multilabel_margin_loss", [(4, 5), MULTI]),
    case("MultiLabelMarginLoss/none", "multilabel_margin_loss", [(4, 5), MULTI], reduction="none"),
    case(
        "MultiLabelMarginLoss/1d",
        "multilabel_margin_loss",
        [(5,), Const(np.array([4, 1, -1, 0, 0]))],
        reduction="none",
    ),
    case("margin_ranking", "margin_ranking_loss", [(5,), (5,), SIGNS]),
    case(
        "margin_ranking/margin",
        "margin_ranking_loss",
        [(5,), (5,), SIGNS],
        margin=0.5,
        reduction="none",
    ),
    case("margin_ranking/0d", "margin_ranking_loss", [(), (), Const(np.array(-1.0))]),
    case(
        "hinge_embedding",
        "hinge_embedding_loss",
        [(4, 5), Const(np.sign(rng.standard_normal((4, 5))))],
    ),
    case(
        "hinge_embedding/margin",
        "hinge_embedding_loss",
        [(4, 5), Const(np.sign(rng.standard_normal(5)))],
        margin=0.3,
        reduction="sum",
    ),
    case("hinge_embedding/other", "hinge_embedding_loss", [(5,), SIGNS], reduction="none"),
    case("cosine_embedding", "cosine_embedding_loss", [(4, 6), (4, 6), SIGNS4]),
    case(
        "cosine_embedding/margin",
        "cosine_embedding_loss",
        [(4, 6), (4, 6), SIGNS4],
        margin=-0.3,
        reduction="none",
    ),
    case(
        "cosine_embedding/1d",
        "cosine_embedding_loss",
        [(6,), (6,), Const(np.array(-1.0))],
        margin=-0.5,
    ),
    case("multilabel_soft_margin", "multilabel_soft_margin_loss", [(4, 5), PROBS]),
    case(
        "multilabel_soft_margin/none",
        "multilabel_soft_margin_loss",
        [(4, 5), PROBS],
        reduction="none",
    ),
    case("multilabel_soft_margin/3d", "multilabel_soft_margin_loss", [(2, 2, 5), PROBS[:2]]),
    Case(
        "multilabel_soft_margin/weight",
        lambda x, t: F.multilabel_soft_margin_loss(
            x, t, weight=nerve.tensor(W, device=x.device).to(x.dtype)
        ),
        lambda x, t: TF.multilabel_soft_margin_loss(x, t, weight=torch.tensor(W, dtype=x.dtype)),
        [(4, 5), PROBS],
    ),
    case("poisson_nll", "poisson_nll_loss", [(2, 5), COUNTS]),
    case("poisson_nll/full", "poisson_nll_loss", [(2, 5), COUNTS_OFF1], full=True, reduction="sum"),
    case("poisson_nll/prob", "poisson_nll_loss", [POS, COUNTS], log_input=False, reduction="none"),
    case(
        "poisson_nll/prob_full",
        "poisson_nll_loss",
        [POS, COUNTS_OFF1],
        log_input=False,
        full=True,
        eps=1e-3,
    ),
    case("gaussian_nll", "gaussian_nll_loss", [(2, 5), (2, 5), POS]),
    case(
        "gaussian_nll/full", "gaussian_nll_loss", [(2, 5), (2, 5), POS], full=True, reduction="none"
    ),
    case("gaussian_nll/shared", "gaussian_nll_loss", [(2, 5), (2, 5), POS[:, :1]], reduction="sum"),
    case("gaussian_nll/last_missing", "gaussian_nll_loss", [(2, 5), (2, 5), POS[:, 0]]),
    case(
        "gaussian_nll/clamped",
        "gaussian_nll_loss",
        [(2, 5), (2, 5), np.where(POS > 1, POS, 1e-9)],
        gradcheck=False,
    ),
    case("triplet_margin", "triplet_margin_loss", [(4, 5), (4, 5), (4, 5)]),
    case(
        "triplet_margin/swap_p1",
        "triplet_margin_loss",
        [(4, 5), (4, 5), (4, 5)],
        swap=True,
        p=1,
        margin=2.0,
    ),
    case(
        "triplet_margin/swap",
        "triplet_margin_loss",
        [(4, 5), (4, 5), (4, 5)],
        swap=True,
        reduction="none",
        margin=3.0,
    ),
    case("triplet_margin/1d", "triplet_margin_loss", [(5,), (5,), (5,)], margin=3.0),
    case(
        "triplet_margin/3d",
        "triplet_margin_loss",
        [(2, 3, 5), (2, 3, 5), (2, 3, 5)],
        reduction="none",
        margin=3.0,
    ),
]


table_tests(CASES, float64=True, covers=loss_more)


def _raises(exc, match, *fns):
    for fn in fns:
        with pytest.raises(exc, match=match or None):
            fn()


def test_shape_errors_match_torch():
    ones, t = nerve.ones, nerve.tensor
    _raises(
        RuntimeError,
        "margin_ranking_loss.*same dimension",
        lambda: F.margin_ranking_loss(ones(3, 1), ones(3), ones(3)),
        lambda: TF.margin_ranking_loss(torch.ones(3, 1), torch.ones(3), torch.ones(3)),
    )
    _raises(RuntimeError, "", lambda: F.margin_ranking_loss(ones(3), ones(4), ones(3)))
    _raises(RuntimeError, "", lambda: F.hinge_embedding_loss(ones(3, 4), ones(5)))
    _raises(
        RuntimeError,
        "multi-target",
        lambda: F.cosine_embedding_loss(ones(3, 4), ones(3, 4), ones(3, 1)),
    )
    _raises(
        RuntimeError,
        "1D target tensor expects 2D input",
        lambda: F.cosine_embedding_loss(ones(4), ones(4), ones(1)),
    )
    _raises(
        RuntimeError,
        "0D target tensor expects 1D input",
        lambda: F.cosine_embedding_loss(ones(3, 4), ones(3, 4), t(1.0)),
    )
    _raises(RuntimeError, "", lambda: F.cosine_embedding_loss(ones(3, 4), ones(3, 5), ones(3)))
    labels = t([0, 1, 3])
    _raises(
        ValueError, "only p == 1 and p == 2", lambda: F.multi_margin_loss(ones(3, 4), labels, p=3)
    )
    _raises(
        ValueError,
        "one-dimensional",
        lambda: F.multi_margin_loss(ones(3, 4), labels, weight=ones(1, 4)),
    )
    _raises(
        RuntimeError,
        "inconsistent weight size, expected 4",
        lambda: F.multi_margin_loss(ones(3, 4), labels, weight=ones(5)),
    )
    _raises(
        RuntimeError,
        "target out of range",
        lambda: F.multi_margin_loss(ones(3, 4), t([0, 1, 4])),
        lambda: F.multi_margin_loss(ones(3, 4), t([0, 1, -1])),
    )
    _raises(
        RuntimeError,
        r"Expected target size \[3\], but got \[2\]",
        lambda: F.multi_margin_loss(ones(3, 4), t([0, 1])),
    )
    _raises(
        RuntimeError,
        "non-empty vector or matrix",
        lambda: F.multi_margin_loss(ones(3, 4, 2), labels),
        lambda: F.multilabel_margin_loss(ones(3, 4, 2), ones(3, 4, 2).long()),
    )
    _raises(
        RuntimeError,
        "Long",
        lambda: F.multi_margin_loss(ones(3, 4), ones(3)),
        lambda: F.multilabel_margin_loss(ones(3, 4), ones(3, 4)),
        lambda: F.multi_margin_loss(ones(3, 4), labels.to(nerve.int32)),
    )
    _raises(
        RuntimeError,
        r"inconsistent target size: \[3, 3\] for input of size: \[3, 4\]",
        lambda: F.multilabel_margin_loss(ones(3, 4), t([[0, 1, -1]] * 3)),
    )
    _raises(
        RuntimeError,
        "out of range",
        lambda: F.multilabel_margin_loss(ones(1, 4), t([[0, -1, 5, 2]])),
        lambda: F.multilabel_margin_loss(ones(1, 4), t([[0, -2, 1, 2]])),
    )
    _raises(
        RuntimeError,
        "",
        lambda: F.multilabel_soft_margin_loss(ones(3, 4), ones(3, 5)),
        lambda: F.poisson_nll_loss(ones(3, 4), ones(3, 5)),
    )
    _raises(
        ValueError,
        "var is of incorrect size",
        lambda: F.gaussian_nll_loss(ones(3, 4), ones(3, 4), ones(4)),
        lambda: F.gaussian_nll_loss(ones(3, 4), ones(3, 4), ones(1, 1)),
    )
    _raises(
        ValueError,
        "var has negative",
        lambda: F.gaussian_nll_loss(ones(3, 4), ones(3, 4), -ones(3, 4)),
        lambda: F.gaussian_nll_loss(ones(3, 4), ones(3, 4), -0.5),
    )
    _raises(
        ValueError,
        "is not valid",
        lambda: F.gaussian_nll_loss(ones(3, 4), ones(3, 4), ones(3, 4), reduction="x"),
    )
    _raises(
        RuntimeError,
        "anchor 2D, positive 1D, and negative 2D",
        lambda: F.triplet_margin_loss(ones(3, 4), ones(4), ones(3, 4)),
    )
    _raises(
        ValueError,
        "margin must be greater than 0",
        lambda: F.triplet_margin_loss(ones(3, 4), ones(3, 4), ones(3, 4), margin=0),
    )
    _raises(RuntimeError, "", lambda: F.triplet_margin_loss(ones(3, 4), ones(3, 5), ones(3, 4)))
    for name in [
        "margin_ranking_loss",
        "hinge_embedding_loss",
        "poisson_nll_loss",
        "multilabel_soft_margin_loss",
    ]:
        n_in = 3 if name == "margin_ranking_loss" else 2
        _raises(
            ValueError,
            "not a valid value for reduction",
            lambda name=name, n_in=n_in: getattr(F, name)(*[ones(3)] * n_in, reduction="bad"),
        )


def test_gaussian_nll_float_var_and_heteroscedastic_channel():
    x, y = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    for var in [0.7, rng.uniform(0.5, 1, (2, 1, 4)), rng.uniform(0.5, 1, (2, 3))]:
        nv = var if isinstance(var, float) else nerve.tensor(var)
        tv = var if isinstance(var, float) else torch.tensor(var)
        ours = F.gaussian_nll_loss(nerve.tensor(x), nerve.tensor(y), nv, reduction="none")
        theirs = TF.gaussian_nll_loss(torch.tensor(x), torch.tensor(y), tv, reduction="none")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)


def test_targets_and_ignored_slots_like_torch():
    x = nerve.tensor([[0.1, 0.2, 0.3, 0.4]])
    xt = torch.tensor([[0.1, 0.2, 0.3, 0.4]])
    for tgt in ([[0, 0, -1, 2]], [[0, -1, -1, 2]], [[-1, 0, 1, 2]], [[3, 2, 1, 0]]):
        np.testing.assert_allclose(
            F.multilabel_margin_loss(x, nerve.tensor(tgt)).numpy(),
            TF.multilabel_margin_loss(xt, torch.tensor(tgt)).numpy(),
            rtol=1e-6,
        )
    # hinge: a target that is neither 1 nor -1 adds both terms, as in PyTorch
    h = F.hinge_embedding_loss(
        nerve.tensor([0.3, 2.0, -1.0]), nerve.tensor([2.0, 1, -1]), reduction="none"
    )
    np.testing.assert_allclose(h.numpy(), [1.0, 2.0, 2.0])
    # integer targets are promoted
    m = F.margin_ranking_loss(nerve.ones(3), nerve.zeros(3), nerve.tensor([1, -1, 1]))
    assert m.dtype == nerve.float32
    assert F.multi_margin_loss(
        nerve.ones(0, 4), nerve.tensor([], dtype=nerve.int64), reduction="none"
    ).shape == (0,)


def test_poisson_full_at_small_counts():
    x = rng.standard_normal((2, 5))
    for log_input in (True, False):
        xi = np.abs(x) if not log_input else x
        ours = F.poisson_nll_loss(
            nerve.tensor(xi, requires_grad=True),
            nerve.tensor(COUNTS),
            log_input=log_input,
            full=True,
            reduction="none",
        )
        theirs = TF.poisson_nll_loss(
            torch.tensor(xi), torch.tensor(COUNTS), log_input=log_input, full=True, reduction="none"
        )
        np.testing.assert_allclose(ours.detach().numpy(), theirs.numpy(), rtol=1e-10)


def test_stable_for_extreme_inputs():
    x = nerve.tensor([[-1e4, 80.0, 0.0, 1e4]], requires_grad=True)
    for loss in (
        F.multilabel_soft_margin_loss(x, nerve.tensor([[1.0, 0.0, 1.0, 0.0]])),
        F.cosine_embedding_loss(x, x * 2, nerve.tensor([1.0])),
        F.cosine_embedding_loss(x * 0, x, nerve.tensor([-1.0])),
    ):
        x.grad = None
        loss.backward()
        assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
